"""Verification options: one default for `sgl test` and the cache, checked when built."""

from __future__ import annotations

import inspect

import pytest

from seglam_lang.cache.admission import Admission
from seglam_lang.verify.options import DEFAULT_VERIFY, VerifyOptions
from seglam_lang.verify.runner import verify


def test_sgl_test_and_the_cache_share_one_default() -> None:
    params = inspect.signature(verify).parameters
    assert params["max_examples"].default == DEFAULT_VERIFY.max_examples == 100
    assert params["time_budget"].default == DEFAULT_VERIFY.time_budget
    admission = Admission(None, None, {}, None)  # type: ignore[arg-type]
    assert admission.verify_options == DEFAULT_VERIFY.as_kwargs()


def test_options_from_a_mapping() -> None:
    assert VerifyOptions.from_mapping({"max_examples": 7}) == VerifyOptions(max_examples=7)
    assert VerifyOptions.from_mapping(None) is DEFAULT_VERIFY


@pytest.mark.parametrize("given", [{"max_example": 5}, {"max_examples": 0}, {"time_budget": -1.0},
                                   {"max_examples": True}, {"time_budget": "5"}])
def test_bad_options_are_refused_when_built(given: dict) -> None:
    with pytest.raises(ValueError):
        VerifyOptions.from_mapping(given)

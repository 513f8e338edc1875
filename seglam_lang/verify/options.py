"""Verification options: how hard `sgl test` and the cache's admission look for a failing input.

Owns `VerifyOptions` (a frozen value, in the style of `runtime.limits.Limits`) and
`DEFAULT_VERIFY`, the one default: what `sgl test` checks is what the reasoning cache
admits (spec/verification.md, "Options").

Invariants: every option has a finite default and a checked range; an unknown option name
is refused when the options are built, never when a verification runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from seglam_lang.frozen import Field, asdict, field, fields, frozen


def _positive(instance: object, attribute: Field, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError(f"verification option `{attribute.name}` must be a positive number (got {value!r})")


@frozen(kw_only=True)
class VerifyOptions:
    max_examples: int = field(default=100, validator=_positive)  # random inputs tried per property
    time_budget: float = field(default=5.0, validator=_positive)  # seconds per property's search
    # (and as much again for shrinking a failure it found)

    @classmethod
    def from_mapping(cls, given: Mapping[str, Any] | VerifyOptions | None) -> VerifyOptions:
        """Options from `{"max_examples": 20, ...}` (the cache's `verify_options=`); None: the defaults."""
        if given is None:
            return DEFAULT_VERIFY
        if isinstance(given, VerifyOptions):
            return given
        unknown = sorted(set(given) - {a.name for a in fields(cls)})
        if unknown:
            raise ValueError(f"unknown verification option(s): {', '.join(unknown)} "
                             f"(known: {', '.join(a.name for a in fields(cls))})")
        return cls(**given)

    def as_kwargs(self) -> dict[str, Any]:
        """The keyword arguments of `verify.runner.verify` these options set."""
        return asdict(self)


DEFAULT_VERIFY = VerifyOptions()

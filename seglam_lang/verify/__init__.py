"""Verification of SGL modules: examples, and properties checked by Hypothesis.

Owns the public entry point `verify(module, ...) -> Report` (see `runner.verify`) and
re-exports `Report` and `CheckResult`. Layout: `strategies` (values from types),
`runner` (running the checks), `report` (results, JSON, text).

Invariants: importing this package imports neither Hypothesis nor the runtime; they are
loaded on the first call of `verify`, so programs that only run SGL never pay for them.

The package itself is callable, so the contract's `seglam_lang.verify(module)` works
whether `seglam_lang.verify` names this package or the function:
`from seglam_lang.verify import verify` is the same call.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from seglam_lang.verify.report import CheckResult, Report


def verify(module: Any, **options: Any) -> Report:
    """Run the examples and properties of a loaded module; see `runner.verify` for options."""
    from seglam_lang.verify.runner import verify as run

    return run(module, **options)


class _CallableModule(types.ModuleType):
    def __call__(self, module: Any, **options: Any) -> Report:
        return verify(module, **options)


sys.modules[__name__].__class__ = _CallableModule

__all__ = ["CheckResult", "Report", "verify"]

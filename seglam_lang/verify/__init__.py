"""The verify layer: a loaded module's examples run, and its properties checked by Hypothesis.

Owns the public entry point `verify(module, ...) -> Report` (see `runner.verify`) and
re-exports `Report` and `CheckResult`. A `Report` holds one `CheckResult` per example,
property or file, each with one status of `report.STATUSES`: passed, failed (with the
shrunk counterexample as SGL literals), error (the check could not run) or unsatisfiable
(a property's `require` rejected almost every input); a failing check is a result, not
an exception.

Modules: `options` (`VerifyOptions` and the one default, `DEFAULT_VERIFY`), `strategies`
(Hypothesis strategies from SGL types), `edges` (the boundary inputs a property runs first),
`narrowing` (bounds read off a property's leading `require`s), `runner` (running the checks),
`preconditions` (is every `require` seen both holding and failing?), `differential` (a new
version of a module against the old one, for the cache's regression check), `report`
(results as text and JSON).

Invariants: the layer imports the runtime and the layers below it, never the cache, the
compilers or the CLI; importing this package imports neither Hypothesis nor the runtime:
they are loaded on the first call of `verify`, so programs that only run SGL never pay for
them; every run of a check is bounded by the module's `Limits` and by the options' budget.

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

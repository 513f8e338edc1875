"""SEGLAM's language core: load SGL modules and call their procedures from Python.

    import seglam_lang
    m = seglam_lang.load("basket.sgl")            # parse, check, compile (SglSyntaxError / SglTypeError)
    m.call("basket_total", [{"name": "pen", "unit_price": Decimal("1.10"), "qty": 3}])
    m.call_sgl("basket_total", [items], {}, limits=seglam_lang.Limits(steps=10_000))

Owns the public surface (`load`, `loads`, `Module`, `ProcInfo`, `ExampleCase`, `ExampleOutcome`,
`PropertyCase`, `Limits`, the errors, `to_python`, `from_python`, `format_value`, `to_json`, `from_json`, and
the reasoning cache: `ReasoningCache`, `Answer`, its errors, and the `cache` and `compilers`
subpackages; `compilers.configured(spec)` builds a compiler). The runtime, the checker and
the cache are imported on first use of a name that needs them, so `import seglam_lang`
stays light (the errors and `Limits` only). spec/embedding.md is the reference.
"""

from __future__ import annotations

from typing import Any

from seglam_lang.errors import (
    LimitExceeded,
    NotApplicable,
    SglError,
    SglRuntimeError,
    SglSyntaxError,
    SglTypeError,
    SglUsageError,
)
from seglam_lang.runtime.limits import Limits

_LAZY = {
    "load": "seglam_lang.runtime.embedding",
    "loads": "seglam_lang.runtime.embedding",
    "Module": "seglam_lang.runtime.embedding",
    "ProcInfo": "seglam_lang.runtime.embedding",
    "ExampleCase": "seglam_lang.runtime.embedding",
    "ExampleOutcome": "seglam_lang.runtime.embedding",
    "PropertyCase": "seglam_lang.runtime.embedding",
    "to_python": "seglam_lang.runtime.values",
    "from_python": "seglam_lang.runtime.values",
    "format_value": "seglam_lang.runtime.values",
    "from_json": "seglam_lang.runtime.convert",
    "to_json": "seglam_lang.runtime.convert",
    "ConvertError": "seglam_lang.runtime.scalars",
    "ReasoningCache": "seglam_lang.cache",
    "Answer": "seglam_lang.cache",
    "CacheError": "seglam_lang.cache",
    "CacheMiss": "seglam_lang.cache",
    "CompilerError": "seglam_lang.compilers",
}


# Subpackages reachable as attributes before anyone imported them; `seglam_lang.verify` is
# itself callable (`seglam_lang.verify(module) -> Report`), see seglam_lang/verify/__init__.py.
_SUBPACKAGES = frozenset({"verify", "cache", "compilers"})


def __getattr__(name: str) -> Any:
    import importlib

    if name in _SUBPACKAGES:
        return importlib.import_module(f"seglam_lang.{name}")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'seglam_lang' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "Answer", "CacheError", "CacheMiss", "CompilerError", "ConvertError", "ExampleCase", "ExampleOutcome",
    "LimitExceeded", "Limits", "Module", "NotApplicable", "ProcInfo", "PropertyCase", "ReasoningCache",
    "SglError", "SglRuntimeError", "SglSyntaxError", "SglTypeError", "SglUsageError", "cache", "compilers",
    "format_value", "from_json", "from_python", "load", "loads", "to_json", "to_python", "verify",
]

"""The reasoning cache: answer requests from verified, stored SGL procedures.

    from seglam_lang.cache import ReasoningCache
    cache = ReasoningCache("my-cache", compiler=seglam_lang.compilers.configured("replay:replies.jsonl"))
    cache.ask("how many days between 2024-01-03 and 2024-03-05?").answer   # 62

The public names (`ReasoningCache`, `Answer`, `VerifyResult` and the errors `CacheError`,
`CacheMiss`, `StoreError`) are imported on first use, so that `import seglam_lang.cache.readers`
and the error types stay light. See spec/embedding.md.
"""

from __future__ import annotations

from typing import Any

from seglam_lang.cache.errors import CacheError, StoreError

_LAZY = {
    "ReasoningCache": "seglam_lang.cache.cache",
    "Answer": "seglam_lang.cache.cache",
    "VerifyResult": "seglam_lang.cache.cache",
    "CacheMiss": "seglam_lang.cache.cache",
}

__all__ = ["Answer", "CacheError", "CacheMiss", "ReasoningCache", "StoreError", "VerifyResult"]


def __getattr__(name: str) -> Any:
    import importlib

    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'seglam_lang.cache' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value

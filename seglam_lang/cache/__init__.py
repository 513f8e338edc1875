"""The reasoning cache: requests answered by verified SGL procedures kept in a folder.

    from seglam_lang.cache import ReasoningCache
    cache = ReasoningCache("my-cache", compiler=seglam_lang.compilers.configured("replay:replies.jsonl"))
    cache.ask("how many days between 2024-01-03 and 2024-03-05?").answer   # 62

Layer contract: the cache uses syntax (triggers), check (types, trigger validity), runtime
(running procedures) and, only when a module is admitted, verify; it never imports
`seglam_lang.compilers` or an LLM SDK: an LLM compiler plugs in through the `Compiler`
protocol of `llm_protocol`.

Layout, one job per module:
- `reasoning_cache`: `ReasoningCache`, the public object, putting the parts together;
- `lookup`: the hot path (in-memory trigger index, loaded modules, `Answer`);
- `matcher`, `readers`: matching a request against triggers, reading slot text as values;
- `admission`: prepare (load, trigger rows), the verification policy, storing;
- `miss`: compiling a miss through the LLM protocol, once per kind of request at a time;
- `administration`: the management verbs behind `sgl cache ...`;
- `store`, `locks`: the folder of `.sgl` files with its SQLite index, and file locks;
- `llm_protocol`: the data that crosses to an LLM compiler and back; `errors`.

The public names (`ReasoningCache`, `Answer`, `VerifyResult`, the errors `CacheError`,
`CacheMiss`, `StoreError`, and the protocol's `Compiler`, `CompileRequest`, `CompileContext`,
`CompileResult`, `Spend`) are imported on first use, so that `import seglam_lang.cache.readers`
and the error types stay light. See spec/embedding.md.

Invariants: a hit imports neither the verifier (Hypothesis) nor any LLM SDK; nothing is
stored without verification; a family runs only when active and its file matches the index;
every failure a user can cause is a `CacheError` whose `str` is one line.
"""

from __future__ import annotations

from typing import Any

from seglam_lang.cache.errors import CacheError, CacheMiss, StoreError

_LAZY = {
    "ReasoningCache": "seglam_lang.cache.reasoning_cache",
    "Answer": "seglam_lang.cache.lookup",
    "VerifyResult": "seglam_lang.cache.administration",
    "Compiler": "seglam_lang.cache.llm_protocol",
    "CompileRequest": "seglam_lang.cache.llm_protocol",
    "CompileContext": "seglam_lang.cache.llm_protocol",
    "CompileResult": "seglam_lang.cache.llm_protocol",
    "Spend": "seglam_lang.cache.llm_protocol",
}

__all__ = ["Answer", "CacheError", "CacheMiss", "CompileContext", "CompileRequest", "CompileResult", "Compiler",
           "ReasoningCache", "Spend", "StoreError", "VerifyResult"]


def __getattr__(name: str) -> Any:
    import importlib

    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'seglam_lang.cache' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value

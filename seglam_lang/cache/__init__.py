"""The reasoning cache: requests answered by verified SGL procedures kept in a store (a folder, or PostgreSQL).

    from seglam_lang.cache import ReasoningCache
    cache = ReasoningCache("my-cache", compiler=seglam_lang.compilers.configured("replay:replies.jsonl"))
    cache.ask("how many days between 2024-01-03 and 2024-03-05?").answer   # 62

Layer contract: the cache uses syntax (triggers), check (types, trigger validity), runtime
(running procedures) and, only when a module is admitted, verify; it never imports
`seglam_lang.compilers` or an LLM SDK: an LLM compiler plugs in through the `Compiler`
protocol of `llm_protocol`.

Layout, one job per module:
- `reasoning_cache`: `ReasoningCache`, the public object, putting the parts together;
- the hit path: `lookup` (in-memory trigger index, loaded modules, `Answer`), `matcher`
  (a request against the triggers, without scanning them all), `readers` (slot text read
  as values), `request_log` (log rows written in batches, off the answer's path);
- the miss path: `miss` (compiling through the LLM protocol, once per kind of request at a
  time), `llm_protocol` (the data that crosses to an LLM compiler and back);
- admission: `admission` (prepare, the verification policy, storing), `provenance` (the
  `origin:` block only SEGLAM writes), `overbroad` (triggers that would take others'
  requests), `regression` (a new version against the one it replaces), `probation` (the
  first hits of a new version checked by the LLM);
- the stores: `index` (the store interface and the SQL both backends share), `store` (the
  folder with its SQLite index), `pg_store` (PostgreSQL), `backends` (a path or URL to a
  store), `locks` (file locks);
- around it: `administration` (the verbs behind `sgl cache ...`), `batch` (many requests in
  worker processes), `report`, `report_html` and `svg` (the cache report and its charts),
  `errors`.

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

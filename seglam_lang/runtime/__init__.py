"""The runtime layer: checked modules compiled, loaded and run within limits.

Contract: `embedding.load(path)` / `embedding.loads(source)` parse, check, compile and
evaluate the constants of a module and return a `Module` whose procs are called from Python
(`Module.call`, values converted both ways by `values` and `convert`) or by the cache
(`Module.call_sgl`). Every run gets a fresh `limits.RunContext` and ends normally or with an
`SglRuntimeError` (a `LimitExceeded` when a limit stopped it) carrying an SGL stack trace.

Packages and modules:
- execution tiers: `closures/` (the reference tier: a tree of Python closures) and `jit/`
  (checked procs translated to Python source and compiled by CPython; tested against `closures`);
- the values and their rules: `values` (representation, printing, host conversion),
  `scalars` and `convert` (typed values from text and JSON: one rule for every boundary),
  `jsontext` (bounded JSON text), `ops` (operators and `DECIMAL_CONTEXT`), `fstrings`;
- the bounds of a run: `limits` (the knobs and the per-run budget), `cost` (what native
  work costs before it runs), `stack` (the C stack and Python's recursion limit);
- `tracebacks` (error positions and SGL stack traces), `natives/` (built-ins, methods and
  native stdlib modules: the allow-list of what SGL reaches of Python), `loader` (`use std.x`),
  `stdlib_index` (the generated stdlib reference), `embedding` (the API above).

Invariants: the layer imports only the base modules, `syntax` and `check`; nothing of Python
is reachable from SGL except the natives' tables; a loaded module holds no run state, so one
module serves many threads; every run is bounded in steps, time, memory, depth and sizes.
"""

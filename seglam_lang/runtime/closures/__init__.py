"""The closure tier: a checked module compiled, once at load, into a tree of Python closures.

One of the runtime's execution tiers (the reference one: every construct of SGL runs
here). Each checked node becomes `code(slots) -> value`; a proc is a `ProcCode` whose body
is a statement closure; names were resolved to slots by the checker and to units here.

Modules, each importing only the ones above it in this list:
- `layout`: the slot list a closure reads (`CTX`, `RET`, `PARENT`, `EXTRA`), `Code`, the
  error guard;
- `units`: the compiled units (procs, records, constants, host functions, examples) and
  the calling convention between them;
- `compiled`: `CompiledModule`, a module's units by name and the environment names
  resolve in;
- `expr`, `stmt`: expressions and statements to closures;
- `module_compiler`: `compile_module`, the one walk over a checked module.

Invariants: compiled closures hold no run state (it is in the slot list and the
`RunContext`), so one compiled module runs in many threads at once; every error that
leaves compiled code is an `SglRuntimeError` located at the node that raised it; steps
are charged at calls and loop back-edges.
"""

from __future__ import annotations

from typing import Any

# Names are imported from their modules on first use, so that importing one module of this
# package (`units` or `layout`, which a module served from its image needs) does not import the
# closure compiler (`expr`, `stmt`, `module_compiler`) with it.
_HOMES = {
    "CompiledModule": "compiled", "compile_module": "module_compiler",
    "CTX": "layout", "EXTRA": "layout", "RET": "layout", "Code": "layout",
    "ConstCell": "units", "ExampleCode": "units", "FixedCell": "units", "HostFunction": "units", "ProcCode": "units",
    "RecordCtor": "units",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


__all__ = ["CTX", "EXTRA", "RET", "Code", "CompiledModule", "ConstCell", "ExampleCode", "FixedCell", "HostFunction",
           "ProcCode", "RecordCtor", "compile_module"]

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

from seglam_lang.runtime.closures.compiled import CompiledModule
from seglam_lang.runtime.closures.layout import CTX, EXTRA, RET, Code
from seglam_lang.runtime.closures.module_compiler import compile_module
from seglam_lang.runtime.closures.units import (
    ConstCell,
    ExampleCode,
    FixedCell,
    HostFunction,
    ProcCode,
    RecordCtor,
)

__all__ = ["CTX", "EXTRA", "RET", "Code", "CompiledModule", "ConstCell", "ExampleCode", "FixedCell", "HostFunction",
           "ProcCode", "RecordCtor", "compile_module"]

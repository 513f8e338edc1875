"""Name resolution results: where every name of a checked module lives at run time.

Owns: the data the resolver (`seglam_lang.check.resolve`) produces and the interpreter
(`seglam_lang.runtime`) consumes. The interpreter never looks a name up by string at
run time; it reads the `Binding` of each `ast.Name` (and of each assignment target)
from `Resolution.bindings`, keyed by `id(node)` of the node in the checked tree.

Scoping (Python's, restricted):
- module scope: constants, procs, records, `use` aliases, host functions, built-ins;
- each proc, property and lambda is a *function scope* with its own slots: parameters
  first (slots 0..n-1), then every name assigned anywhere in its body;
- comprehension targets are private to the comprehension (as in Python 3) but are
  given extra slots in the enclosing function (a comprehension cannot re-enter
  itself within one activation, so sharing its slots is safe and fast);
- a lambda reads names of enclosing function scopes as `FREE` bindings (`depth` function scopes out).

Invariants: every `ast.Name` in a checked tree has a binding; slot indices of one
function scope are dense `0..nslots-1`.
"""

from __future__ import annotations

import enum

from seglam_lang.frozen import define, field, frozen


class Kind(enum.Enum):
    LOCAL = "local"        # a slot of the current function
    FREE = "free"          # a slot of an enclosing function (lambdas): `depth` >= 1
    GLOBAL = "global"      # a module-level constant, proc, record or host function, by name
    MODULE = "module"      # a `use` alias: `name` is the alias
    BUILTIN = "builtin"    # a built-in function or constant, by name


@frozen
class Binding:
    kind: Kind
    name: str
    index: int = -1   # slot for LOCAL / FREE
    depth: int = 0    # for FREE: how many function scopes outward


@frozen
class FunctionScope:
    """The slot layout of one proc, property or lambda."""

    name: str
    nslots: int
    slot_names: tuple[str, ...]  # for debugging and stack traces


@define
class Resolution:
    """Bindings for every name node, and the slot layout of every function-like node."""

    bindings: dict[int, Binding] = field(factory=dict)
    functions: dict[int, FunctionScope] = field(factory=dict)  # id(ProcDecl | PropertyDecl | Lambda)

"""Resolving `use std.x`: standard-library modules written in SGL and/or native, loaded once per process.

Owns: finding `stdlib/x.sgl` (through `seglam_lang.syntax.tables.resource_dir("stdlib")`)
and the native module registered as `std.x` (`seglam_lang.runtime.natives`), combining
them into one `StdModule` (SGL procs, records and constants, plus native functions),
the process-wide cache, and the detection of cyclic `use`.

Invariants:
- each stdlib module is parsed, checked and compiled at most once per process (a lock
  guards the cache; two threads asking at once get the same module);
- a cycle (`std.a` uses `std.b` uses `std.a`) is an error naming the cycle, never a hang
  or a RecursionError; the one exception is `stdlib/x.sgl` using `std.x` itself, which binds
  the native half of `std.x` (how an SGL file documents and tests its module's natives);
- only `std.<name>` paths exist; `std._x` names are private helpers (usable by stdlib
  files, like any other module, but not listed in documentation);
- errors while loading a stdlib module (which would be a bug in SEGLAM) are reported as
  the `SglError` of that module, with its file.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seglam_lang.codes import E_CYCLE, E_UNKNOWN_MODULE
from seglam_lang.errors import SglError, SglTypeError, Span

if TYPE_CHECKING:  # (a module served from its image loads its `use`s without the checker's types)
    from seglam_lang.check.types import ModuleInterface
    from seglam_lang.syntax import ast


class StdModule:
    """What `use std.x` binds: SGL members of `stdlib/x.sgl` and native functions of `std.x`."""

    def __init__(self, name: str, sgl: Any | None, native: Any | None) -> None:
        from seglam_lang.check.types import ModuleInterface, ProcSig
        from seglam_lang.runtime.closures.units import FixedCell, RecordCtor

        self.name = name
        self.sgl = sgl  # a runtime.embedding.Module, or None for a purely native module
        # natives.NativeFunction by name: `.sig()`, `.defaults()`, `.fn(ctx, *args)`
        self.natives: dict[str, Any] = dict(native.functions) if native is not None else {}
        self.native_records: dict[str, RecordCtor] = {}
        if native is not None:
            for rname, rt in native.records.items():
                ctor = RecordCtor(rt, None)
                ctor.defaults = {k: FixedCell(v) for k, v in native.record_defaults.get(rname, {}).items()}
                self.native_records[rname] = ctor
        procs: dict[str, ProcSig] = {n: f.sig() for n, f in self.natives.items()}
        records: dict[str, Any] = dict(native.records) if native is not None else {}
        consts: dict[str, Any] = {}
        if sgl is not None:
            procs.update(sgl.interface.procs)
            records.update(sgl.interface.records)
            consts.update(sgl.interface.consts)
        self.interface = ModuleInterface(name, procs, records, consts)

    def member(self, name: str) -> Any:
        """The proc (`ProcCode`), record (`RecordCtor`), constant (`ConstCell`) or native function named `name`."""
        if self.sgl is not None:
            m = self.sgl.member(name)
            if m is not None:
                return m
        return self.natives.get(name) or self.native_records.get(name)


_lock = threading.RLock()
_cache: dict[str, StdModule] = {}
_loading = threading.local()


LoadFile = Callable[[Path, str], Any]
"""`load_file(path, name)`: an SGL file loaded as the module `name` (the embedding's `load`,
given by the caller: the loader sits below the load pipeline that calls it)."""


def load_std(path: tuple[str, ...], span: Span, file: str, load_file: LoadFile) -> StdModule:
    """The module for `use <path>`; raises SglTypeError for an unknown module or a cycle."""
    name = ".".join(path)
    if len(path) != 2 or path[0] != "std":
        guess = f"std.{path[-1]}"
        hint = (f"did you mean `use {guess}`?" if guess in available()
                else "only the standard library can be used: `use std.<module>`")
        raise SglTypeError(f"unknown module `{name}`", code=E_UNKNOWN_MODULE, span=span, file=file, hint=hint)
    stack: list[str] = getattr(_loading, "stack", None) or []
    _loading.stack = stack
    if stack and stack[-1] == name:
        # `stdlib/x.sgl` may `use std.x` itself: that binds the native half of std.x (its examples and
        # procs call the natives registered as `std.x`); the SGL half is the file being loaded.
        from seglam_lang.runtime import natives as natives_pkg

        native = natives_pkg.native_module(name)
        if native is not None:
            return StdModule(name, None, native)
    if name in stack:
        cycle = " -> ".join([*stack[stack.index(name):], name])
        raise SglTypeError(f"cyclic use: {cycle}", code=E_CYCLE, span=span, file=file)
    with _lock:
        cached = _cache.get(name)
        if cached is not None:
            return cached
        stack.append(name)
        try:
            module = _load(name, path[1], span, file, load_file)
        finally:
            stack.pop()
        _cache[name] = module
        return module


def _load(name: str, short: str, span: Span, file: str, load_file: LoadFile) -> StdModule:
    from seglam_lang.runtime import natives as natives_pkg
    from seglam_lang.syntax.tables import resource_dir

    # An allow-list, checked before any path is built from the name: a name from a source
    # file never reaches the file system unless it is one of the shipped modules.
    if name not in _shipped():
        known = ", ".join(sorted(available())) or "none"
        raise SglTypeError(f"unknown module `{name}`", code=E_UNKNOWN_MODULE, span=span, file=file,
                           hint=f"standard modules: {known}")
    native = natives_pkg.native_module(name)
    path = resource_dir("stdlib") / f"{short}.sgl"
    sgl = None
    if path.is_file():
        sgl = load_file(path, name)
    return StdModule(name, sgl, native)


def _shipped() -> frozenset[str]:
    """Every standard module, private helpers (`std._x`) included: SGL files and native ones."""
    from seglam_lang.runtime import natives as natives_pkg
    from seglam_lang.syntax.tables import resource_dir

    names = {f"std.{p.stem}" for p in resource_dir("stdlib").glob("*.sgl")}
    natives_dir = Path(natives_pkg.__file__).parent
    names.update(f"std.{p.stem[4:]}" for p in natives_dir.glob("std_*.py"))
    return frozenset(names)


def available() -> set[str]:
    """The names of the public standard modules (what `use std.<name>` may name)."""
    return {n for n in _shipped() if not n.startswith("std._")}


class Imports:
    """The `imports` callback given to the checker: loads each `use` and remembers it by alias."""

    def __init__(self, file: str, load_file: LoadFile) -> None:
        self.file = file
        self.load_file = load_file
        self.by_alias: dict[str, StdModule] = {}
        self.errors: list[SglError] = []

    def __call__(self, use: ast.Use) -> ModuleInterface | None:
        try:
            module = load_std(use.path, use.span, self.file, self.load_file)
        except SglError as e:
            self.errors.append(e)
            return None
        self.by_alias[use.local_name] = module
        return module.interface

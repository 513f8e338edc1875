"""`frozen`: the class builder of SGL's value classes (AST nodes, types, spans, records).

Owns: the decorators `frozen` (immutable, slotted value classes) and `define` (mutable,
slotted ones: the checker's scratch state, registries), the field declaration `field` /
`Factory`, and the helpers that replace a class builder's: `fields`, `has`, `evolve`,
`asdict`. A field is a class annotation (not `ClassVar`); its default is the value
assigned to it, or a `field(...)` saying the default, a factory, `kw_only`, whether it
takes part in equality and repr, and a validator `(instance, field, value)` run after
every field is set. A field's `__init__` parameter has its name (a leading underscore kept).

Why our own: importing attrs and building ~150 attrs classes cost ~40 ms of every `sgl`
process, the cache hit included. Here building a class is one `type()` call; its
`__init__` is generated from the field list (source compiled with `exec`) on the class's
first construction, so a process pays only for the classes it builds, and a node's
construction is as fast as a hand-written `__init__` (the parser builds many); classes whose
fields have the same shape share one compiled code object, renamed per class.

Invariants: `a == b` iff same class and equal fields whose `eq` is true (a field
declared `eq=False`, such as a source span, takes no part); `hash` agrees with `==`
(`define` classes with `eq` are unhashable, as mutable values must be); instances of a
`frozen` class cannot be mutated (`FrozenInstanceError`); `evolve(x, **changes)` builds a
new instance through `__init__`, so defaults and validators apply as at construction.
A decorated class may not inherit fields from another decorated class.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from operator import attrgetter
from types import CodeType, FunctionType
from typing import Any, TypeVar, dataclass_transform

C = TypeVar("C", bound=type)


class _Nothing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NOTHING"


NOTHING: Any = _Nothing()  # "no default": a field without one must be passed


class FrozenInstanceError(AttributeError):
    """An attempt to set or delete a field of a `frozen` instance."""


class Factory:
    """A default built afresh for each instance: `factory()`, or `factory(self)` when
    `takes_self` (the fields declared before it are set by then)."""

    __slots__ = ("factory", "takes_self")

    def __init__(self, factory: Callable[..., Any], takes_self: bool = False) -> None:
        self.factory = factory
        self.takes_self = takes_self


class Field:
    """One field of a decorated class, as `fields(cls)` lists them (declaration order)."""

    __slots__ = ("default", "eq", "kw_only", "name", "repr", "validator")

    def __init__(self, name: str, default: Any, kw_only: bool, eq: bool, repr: bool,
                 validator: Callable[[Any, Field, Any], None] | None) -> None:
        self.name = name
        self.default = default
        self.kw_only = kw_only
        self.eq = eq
        self.repr = repr
        self.validator = validator

    def __repr__(self) -> str:
        return f"Field({self.name!r})"


def field(*, default: Any = NOTHING, factory: Callable[[], Any] | None = None, eq: bool = True,
          repr: bool = True, kw_only: bool = False,
          validator: Callable[[Any, Field, Any], None] | None = None) -> Any:
    """Declare a field with more than a plain default (see the module docstring)."""
    if factory is not None:
        if default is not NOTHING:
            raise TypeError("field() takes a default or a factory, not both")
        default = Factory(factory)
    return Field("", default, kw_only, eq, repr, validator)


class _Base:
    """Repr and pickling (a batch sends values to its worker processes) of every decorated class."""

    __slots__ = ()
    __frozen_fields__: tuple[Field, ...]

    def __repr__(self) -> str:
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in self.__frozen_fields__ if f.repr)
        return f"{type(self).__qualname__.rsplit('>.', 1)[-1]}({shown})"

    def __getstate__(self) -> tuple[Any, ...]:
        return tuple(getattr(self, f.name) for f in self.__frozen_fields__)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        for f, value in zip(self.__frozen_fields__, state, strict=True):
            object.__setattr__(self, f.name, value)  # past a frozen class's __setattr__


class _Value(_Base):
    """Equality and hash shared by every decorated class compared by value (never generated per class)."""

    __slots__ = ()
    _eq_key: Callable[[Any], Any]

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        key = self._eq_key
        return key(self) == key(other)  # type: ignore[no-any-return]

    def __hash__(self) -> int:
        return hash((self.__class__.__name__, self._eq_key(self)))


class _Frozen(_Value):
    __slots__ = ()

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r} of a frozen {type(self).__name__}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r} of a frozen {type(self).__name__}")


class _Mutable(_Value):
    __slots__ = ()
    __hash__ = None  # type: ignore[assignment]  # mutable and compared by value: unhashable


class _Identity(_Base):
    """A `define(eq=False)` class: compared and hashed by identity."""

    __slots__ = ()


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def frozen(cls: C | None = None, *, kw_only: bool = False) -> Any:
    """An immutable, slotted value class (`@frozen` or `@frozen(kw_only=True)`)."""
    if cls is None:
        return lambda c: _build(c, _Frozen, kw_only)
    return _build(cls, _Frozen, kw_only)


@dataclass_transform(field_specifiers=(field,))
def define(cls: C | None = None, *, eq: bool = True, kw_only: bool = False) -> Any:
    """A mutable, slotted class; compared by value unless `eq=False` (then by identity)."""
    mixin = _Mutable if eq else _Identity
    if cls is None:
        return lambda c: _build(c, mixin, kw_only)
    return _build(cls, mixin, kw_only)


def _build(cls: C, mixin: type, kw_only: bool) -> C:
    own = cls.__dict__
    declared: list[Field] = []
    for name, annotation in own.get("__annotations__", {}).items():
        if isinstance(annotation, str) and annotation.startswith(("ClassVar", "typing.ClassVar")):
            continue
        value = own.get(name, NOTHING)
        spec = value if isinstance(value, Field) else Field("", value, False, True, True, None)
        declared.append(Field(name, spec.default, spec.kw_only or kw_only, spec.eq, spec.repr, spec.validator))
    defaulted = False
    for f in declared:
        if not f.kw_only:
            if f.default is not NOTHING:
                defaulted = True
            elif defaulted:
                raise TypeError(f"{cls.__qualname__}.{f.name}: a field without a default after one with a default")
    if any(hasattr(b, "__frozen_fields__") for b in cls.__mro__[1:]):
        raise TypeError(f"{cls.__qualname__}: a decorated class cannot inherit fields")
    names = tuple(f.name for f in declared)
    body = {k: v for k, v in own.items() if k not in names and k not in ("__dict__", "__weakref__")}
    slots = list(names)
    if mixin is not _Frozen and not any(hasattr(b, "__weakref__") for b in cls.__mro__[1:]):
        slots.append("__weakref__")  # mutable objects may be held weakly (open logs, registries)
    body["__slots__"] = tuple(slots)
    bases = (*(b for b in cls.__bases__ if b is not object), mixin)
    new: Any = type(cls)(cls.__name__, bases, body)
    new.__qualname__ = cls.__qualname__
    new.__frozen_fields__ = tuple(declared)
    eq_names = [f.name for f in declared if f.eq]
    new._eq_key = attrgetter(*eq_names) if eq_names else staticmethod(_no_key)
    new.__init__ = _first_init(new)
    return new  # type: ignore[no-any-return]


def _no_key(_: object) -> tuple[()]:
    return ()


def _first_init(cls: Any) -> Callable[..., None]:
    """An `__init__` that, on the class's first construction, generates the real one and
    puts it in its place (so classes never built cost nothing but this closure)."""

    def __init__(self: object, *args: Any, **kwargs: Any) -> None:
        init = _make_init(cls)
        cls.__init__ = init
        init(self, *args, **kwargs)

    return __init__


def _make_init(cls: Any) -> Callable[..., None]:
    """The class's `__init__`: the code of its shape (`_template`), with the parameters
    renamed to the fields, run with this class's slots, defaults, factories and validators."""
    fields_ = cls.__frozen_fields__
    namespace: dict[str, Any] = {"NOTHING": NOTHING}
    positional: list[Any] = []
    keyword: dict[str, Any] = {}
    shape = []
    for i, f in enumerate(fields_):
        namespace[f"_set{i}"] = cls.__dict__[f.name].__set__  # the slot itself: no __setattr__
        default = f.default
        kind = 0
        if isinstance(default, Factory):
            namespace[f"_make{i}"] = default.factory
            kind, default = (2 if default.takes_self else 1), NOTHING
        if default is not NOTHING or kind:
            if f.kw_only:
                keyword[f.name] = default
            else:
                positional.append(default)
        if f.validator is not None:
            namespace[f"_check{i}"], namespace[f"_field{i}"] = f.validator, f
        shape.append((kind, f.kw_only, f.validator is not None))
    code = _template(tuple(shape), hasattr(cls, "__post_init__"))
    rename = {f"p{i}": f.name for i, f in enumerate(fields_)}
    qualname = f"{cls.__qualname__}.__init__"
    code = code.replace(co_varnames=tuple(rename.get(v, v) for v in code.co_varnames), co_qualname=qualname)
    init: Any = FunctionType(code, namespace, "__init__", tuple(positional) or None)
    init.__kwdefaults__ = keyword or None
    init.__qualname__ = qualname
    return init  # type: ignore[no-any-return]


@functools.cache
def _template(shape: tuple[tuple[int, bool, bool], ...], post: bool) -> CodeType:
    """The code of an `__init__` for fields of this shape (per field: 0 plain, 1 a factory, 2 a
    factory taking self; keyword-only; validated), parameter i named `p<i>`. Defaults are not
    part of a code object (the function carries them). Compiled once per shape: most classes
    differ only in their number of fields."""
    positional: list[str] = []
    keyword: list[str] = []
    body: list[str] = []
    checks: list[str] = []
    for i, (kind, kw_only, validated) in enumerate(shape):
        (keyword if kw_only else positional).append(f"p{i}")
        if kind:
            body.append(f"    if p{i} is NOTHING:\n        p{i} = _make{i}({'self' if kind == 2 else ''})")
        body.append(f"    _set{i}(self, p{i})")
        if validated:
            checks.append(f"    _check{i}(self, _field{i}, p{i})")
    params = ", ".join(["self", *positional, *(["*", *keyword] if keyword else [])])
    lines = [f"def __init__({params}):", *body, *checks, *(["    self.__post_init__()"] if post else [])]
    if len(lines) == 1:
        lines.append("    pass")
    namespace: dict[str, Any] = {"NOTHING": NOTHING}
    exec(compile("\n".join(lines), "<frozen __init__>", "exec"), namespace)  # our own source, from the shape
    return namespace["__init__"].__code__  # type: ignore[no-any-return]


def fields(cls: type) -> tuple[Field, ...]:
    """The fields of a decorated class, in declaration order."""
    return cls.__frozen_fields__  # type: ignore[attr-defined, no-any-return]


def has(cls: type) -> bool:
    """Whether `cls` is a class built by `frozen` or `define`."""
    return hasattr(cls, "__frozen_fields__")


def evolve(instance: C, **changes: Any) -> C:
    """A copy of `instance` with some fields replaced."""
    for f in instance.__frozen_fields__:  # type: ignore[attr-defined]
        if f.name not in changes:
            changes[f.name] = getattr(instance, f.name)
    return type(instance)(**changes)  # type: ignore[no-any-return]


def asdict(instance: object) -> dict[str, Any]:
    """The fields of `instance` as a dict, nested values converted likewise (decorated
    instances to dicts, tuples, lists and sets to lists, dict keys and values recursively)."""
    return {f.name: _plain(getattr(instance, f.name)) for f in instance.__frozen_fields__}  # type: ignore[attr-defined]


def _plain(value: Any) -> Any:
    if hasattr(value, "__frozen_fields__"):
        return asdict(value)
    if isinstance(value, (tuple, list, set, frozenset)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    return value

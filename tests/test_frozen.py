"""`seglam_lang.frozen`, the class builder of the value classes: equality, hash, repr,
immutability, defaults, factories, validators, `evolve`, `fields` and `asdict`, on small
classes declared here and on the real AST (Hypothesis: equality ignores spans exactly)."""

from __future__ import annotations

import copy
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seglam_lang.errors import Span
from seglam_lang.frozen import Factory, FrozenInstanceError, asdict, define, evolve, field, fields, frozen, has
from seglam_lang.syntax import ast


def _positive(instance: object, attribute: object, value: int) -> None:
    if value <= 0:
        raise ValueError(f"{attribute.name} must be positive")  # type: ignore[attr-defined]


@frozen
class Point:
    x: int
    y: int = 0
    label: str = field(default="", eq=False)
    note: str = field(default="", repr=False)
    tags: list[str] = field(factory=list, eq=False)
    size: int = field(default=1, validator=_positive, kw_only=True)


@frozen
class Derived:
    text: str
    words: tuple[str, ...] = field(default=Factory(lambda self: tuple(self.text.split()), takes_self=True))


@define
class Bag:
    name: str
    items: list[int] = field(factory=list)


@define(eq=False)
class Handle:
    ref: object = None


def test_construction_defaults_and_keyword_only() -> None:
    p = Point(1)
    assert (p.x, p.y, p.label, p.note, p.tags, p.size) == (1, 0, "", "", [], 1)
    assert Point(1, 2, "a", "n", ["t"], size=3).size == 3
    with pytest.raises(TypeError):
        Point(1, 2, "a", "n", ["t"], 3)  # type: ignore[misc]  # size is keyword-only
    with pytest.raises(TypeError, match="missing"):
        Point()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected keyword"):
        Point(1, z=2)  # type: ignore[call-arg]


def test_a_factory_builds_a_fresh_value_per_instance_and_may_read_earlier_fields() -> None:
    a, b = Point(1), Point(1)
    assert a.tags == [] and a.tags is not b.tags
    assert Derived("a b c").words == ("a", "b", "c")


def test_equality_and_hash_use_only_eq_fields() -> None:
    assert Point(1, 2, label="a") == Point(1, 2, label="b")
    assert hash(Point(1, 2, label="a")) == hash(Point(1, 2, label="b"))
    assert Point(1, 2) != Point(1, 3)
    assert Point(1, note="a") != Point(1, note="b")  # repr=False but eq=True
    assert Point(1) != (1, 0)  # another class never compares equal


def test_repr_lists_repr_fields_in_order() -> None:
    assert repr(Point(1, 2, "l", "n")) == "Point(x=1, y=2, label='l', tags=[], size=1)"


def test_frozen_instances_cannot_change() -> None:
    p = Point(1)
    with pytest.raises(FrozenInstanceError):
        p.x = 2  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        del p.x  # type: ignore[misc]
    with pytest.raises(AttributeError):
        p.other = 1  # type: ignore[attr-defined]


def test_validators_run_at_construction_and_in_evolve() -> None:
    with pytest.raises(ValueError, match="size must be positive"):
        Point(1, size=0)
    with pytest.raises(ValueError, match="size must be positive"):
        evolve(Point(1), size=-1)


def test_evolve_replaces_some_fields_and_keeps_the_others() -> None:
    p = Point(1, 2, "l", "n", ["t"], size=4)
    q = evolve(p, y=5)
    assert (q.x, q.y, q.label, q.note, q.tags, q.size) == (1, 5, "l", "n", ["t"], 4)
    assert q.tags is p.tags


def test_fields_has_and_asdict() -> None:
    assert [f.name for f in fields(Point)] == ["x", "y", "label", "note", "tags", "size"]
    assert has(Point) and has(Bag) and not has(int)
    bag = Bag("b", [1, 2])
    assert asdict(Derived("a b")) == {"text": "a b", "words": ["a", "b"]}
    assert asdict(Handle(bag)) == {"ref": {"name": "b", "items": [1, 2]}}


def test_define_classes_are_mutable_and_compared_by_value_or_identity() -> None:
    bag = Bag("b")
    bag.items.append(1)
    bag.name = "c"
    assert bag == Bag("c", [1])
    with pytest.raises(TypeError):
        hash(bag)
    h = Handle()
    assert h != Handle() and h == h and hash(h) == hash(h)


def test_declaration_errors() -> None:
    with pytest.raises(TypeError, match="without a default after"):
        @frozen
        class Bad:
            a: int = 0
            b: int

    with pytest.raises(TypeError, match="inherit"):
        @frozen
        class Sub(Point):
            z: int = 0

    with pytest.raises(TypeError, match="not both"):
        field(default=1, factory=list)


spans = st.builds(Span, st.integers(0, 99), st.integers(0, 99), st.integers(0, 99), st.integers(0, 99))


@given(st.text(max_size=5), st.text(max_size=5), spans, spans)
def test_ast_equality_ignores_spans_and_agrees_with_hash(a: str, b: str, s1: Span, s2: Span) -> None:
    x, y = ast.Name(a, span=s1), ast.Name(b, span=s2)
    assert (x == y) == (a == b)
    if x == y:
        assert hash(x) == hash(y)
    call = ast.Call(x, (ast.IntLit(1, span=s1),), (), span=s1)
    assert (call == ast.Call(y, (ast.IntLit(1, span=s2),), (), span=s2)) == (a == b)
    assert evolve(call, func=y).span == s1


def test_instances_pickle_and_copy() -> None:
    """A batch sends values to its worker processes; frozen instances are rebuilt past __setattr__."""
    for value in (Point(1, 2, "l", "n", ["t"], size=3), Bag("b", [1]), ast.Name("x", span=Span(1, 2, 1, 3))):
        back = pickle.loads(pickle.dumps(value))
        assert type(back) is type(value) and back == value
        assert [getattr(back, f.name) for f in fields(type(value))] == [getattr(value, f.name) for f in fields(type(value))]
        assert copy.deepcopy(value) == value and copy.copy(value) == value

"""Sandbox battery: the escape routes of architecture.md are closed, statically where possible.

Each case is a small SGL program that tries one route used against other Python sandboxes
(simpleeval, asteval, RestrictedPython: format-string traversal, dunder and Python attribute
access, generator frames, `__reduce__`, exception objects, dangerous built-in names, Decimal
context manipulation, host function objects). Every one must be refused with the named error
class (a syntax or type error at load for the static routes); nothing may run Python code of
the user's choosing, and whatever a program does return contains SGL values only.
"""

from __future__ import annotations

import datetime
import decimal
import textwrap
from typing import Any

import pytest

import seglam_lang
from seglam_lang import SglError, SglRuntimeError, SglSyntaxError, SglTypeError
from seglam_lang.runtime.values import Record, SglSet

# Every case runs on both execution tiers (spec/tiers.md).
pytestmark = pytest.mark.usefixtures("both_tiers")

STATIC = (SglSyntaxError, SglTypeError)

RECORD = "record R:\n    a: Int\n\n"
HOST = {"h": ("(x: Int) -> Int", lambda x: x + 1)}

# (id, source of `main`'s body or whole module, the error class it must raise)
# A body is indented into `proc main() -> Str:` after `RECORD`; a text starting with `proc`,
# `use` or `record` is a whole module.
CASES: list[tuple[str, str, type[SglError]]] = [
    # module names reach the file system and the import system only through the allow-list
    ("use a name too long for a path", "use std." + "money1" * 60 + "\nproc main() -> Int:\n    return 1", SglTypeError),
    ("use the natives package", "use std.__init__\nproc main() -> Int:\n    return 1", SglTypeError),
    ("use a Python module", "use std.os\nproc main() -> Int:\n    return 1", SglTypeError),
    ("use a native file by its Python name", "use std.std_json\nproc main() -> Int:\n    return 1", SglTypeError),
    # format-string traversal
    ("str.format field path", 'return "{0.__class__}".format(1)', SglTypeError),
    ("str.format plain", 'return "{}".format(1)', SglTypeError),
    ("str.format_map", 'return "{a}".format_map({"a": 1})', SglTypeError),
    ("f-string attribute field", 'x = 1\nreturn f"{x.__class__}"', SglTypeError),
    ("f-string nested spec field", 'x = 1\nreturn f"{x:{x}}"', SglSyntaxError),
    ("f-string spec traversal", 'x = 1\nreturn f"{x:{x.__class__}}"', SglSyntaxError),
    ("f-string !a conversion", 'x = 1\nreturn f"{x!a}"', SglSyntaxError),
    ("f-string unknown spec type", 'x = 1\nreturn f"{x:c}"', SglSyntaxError),
    ("percent formatting", 'return "%s" % 5', SglTypeError),
    ("percent formatting with a map", 'return "%(a)s" % {"a": 1}', SglTypeError),
    ("percent formatting of a tuple", 'return "%s%s" % (1, 2)', SglTypeError),
    ("str.__mod__", 'return "%s".__mod__(1)', SglTypeError),
    ("huge format width", 'x = 5\nreturn f"{x:>999999999}"', SglSyntaxError),
    ("huge format precision", 'x = 5.0\nreturn f"{x:.99999f}"', SglSyntaxError),
    ("four-digit width", 's = "a"\nreturn f"{s:1000}"', SglSyntaxError),
    # dunder and Python attributes of values
    ("int __class__", "x = 1\nreturn str(x.__class__)", SglTypeError),
    ("int real", "return str((1).real)", SglTypeError),
    ("int conjugate", "return str((1).conjugate())", SglTypeError),
    ("float hex", "return (1.5).hex()", SglTypeError),
    ("str join __self__", 'return str("".join.__self__)', SglTypeError),
    ("bound method as value", 'f = "".join\nreturn f(["a"])', SglTypeError),
    ("list __len__", "return str([].__len__())", SglTypeError),
    ("list __class__ __mro__", "return str([1].__class__.__mro__)", SglTypeError),
    ("str __getattribute__", 'return "a".__getattribute__("upper")()', SglTypeError),
    ("tuple __subclasses__", "return str((1, 2).__class__.__subclasses__())", SglTypeError),
    ("map __init__", 'return str({"a": 1}.__init__)', SglTypeError),
    ("set __iand__", "s = {1}\nreturn str(s.__iand__({2}))", SglTypeError),
    ("date __reduce__", "return str(date(2024, 1, 1).__reduce__())", SglTypeError),
    ("list __reduce_ex__", "return str([1].__reduce_ex__(2))", SglTypeError),
    ("decimal __reduce__", 'return str(Decimal("1.5").__reduce__())', SglTypeError),
    ("decimal as_tuple", 'return str(Decimal("1.5").as_tuple())', SglTypeError),
    ("duration __class__", "return str(duration(days=1).__class__)", SglTypeError),
    ("str encode", 'return str("a".encode())', SglTypeError),
    ("str maketrans", 'return str("a".maketrans("a", "b"))', SglTypeError),
    # functions: lambdas, procs, built-ins, host functions
    ("lambda __globals__", 'return str(sorted([1], key=lambda x: x.__globals__))', SglTypeError),
    ("lambda __code__", 'return str(max([1], key=lambda x: (lambda: 0).__code__))', SglTypeError),
    ("proc __globals__", "proc g() -> Int:\n    return 1\n\nproc main() -> Str:\n    return str(g.__globals__)",
     SglTypeError),
    ("proc __closure__", "proc g() -> Int:\n    return 1\n\nproc main() -> Str:\n    return str(g.__closure__)",
     SglTypeError),
    ("built-in as value", "f = len\nreturn str(f)", SglTypeError),
    ("built-in __self__", "return str(sum.__self__)", SglTypeError),
    ("built-in in a list", "fs = [len]\nreturn str(fs)", SglTypeError),
    ("host function __globals__", "return str(h.__globals__)", SglTypeError),
    ("host function __code__", "return str(h.__code__.co_consts)", SglTypeError),
    ("host function as text", "return str(h)", SglTypeError),
    # records
    ("record __dict__", "r = R(a=1)\nreturn str(r.__dict__)", SglTypeError),
    ("record _type", "r = R(a=1)\nreturn str(r._type)", SglTypeError),
    ("record type", "r = R(a=1)\nreturn str(r.type)", SglTypeError),
    ("record values", "r = R(a=1)\nreturn str(r.values)", SglTypeError),
    ("record __class__", "r = R(a=1)\nreturn str(r.__class__)", SglTypeError),
    ("record __reduce__", "r = R(a=1)\nreturn str(r.__reduce__())", SglTypeError),
    ("record replace __globals__", "r = R(a=1)\nreturn str(r.replace.__globals__)", SglTypeError),
    ("record replace dunder keyword", "r = R(a=1)\nreturn str(r.replace(__class__=1))", SglTypeError),
    ("record constructor attribute", "return str(R.__new__)", SglTypeError),
    ("record constructor _make", "return str(R._make([1]))", SglTypeError),
    ("record constructor as value", "f = R\nreturn str(f(a=1))", SglTypeError),
    # generators, iterators and frames
    ("generator gi_frame", "g = (x for x in [1])\nreturn str(g.gi_frame)", SglTypeError),
    ("generator gi_code", "return str((x for x in [1]).gi_code)", SglTypeError),
    ("frame f_back", "g = (x for x in [1])\nreturn str(g.gi_frame.f_back)", SglTypeError),
    ("map __reduce__", "return str(map(lambda x: x, [1]).__reduce__())", SglTypeError),
    ("iterator __next__", "return str(iter([1]).__next__())", SglTypeError),
    ("range attributes", "return str(range(3).start)", SglTypeError),
    ("map view mapping", 'return str({"a": 1}.keys().mapping)', SglTypeError),
    ("iterator as text", "return str(range(3))", SglTypeError),
    ("tb_frame name", "return str(tb_frame)", SglTypeError),
    # dangerous names
    *((f"name {n}", f"return str({n})", SglTypeError) for n in (
        "getattr", "setattr", "eval", "exec", "compile", "open", "__import__", "type", "vars", "globals",
        "locals", "dir", "breakpoint", "input", "print", "object", "super", "id", "hash", "iter", "next",
        "isinstance", "__builtins__", "__name__", "__file__", "memoryview", "bytes", "exit", "help", "repr",
        "format", "classmethod", "property", "__loader__", "__spec__")),
    ("call getattr", 'return str(getattr(1, "real"))', SglTypeError),
    ("call eval", 'return str(eval("1 + 1"))', SglTypeError),
    ("call exec", 'exec("x = 1")\nreturn ""', SglTypeError),
    ("call open", 'return open("/etc/passwd").read()', SglTypeError),
    ("call __import__", 'return str(__import__("os").system("true"))', SglTypeError),
    ("call type with three arguments", 'return str(type("X", (), {}))', SglTypeError),
    ("call print", 'print("x")\nreturn ""', SglTypeError),
    # statements Python has and SGL does not: no exception objects are ever reachable
    ("try/except", 'try:\n    x = 1 // 0\nexcept Exception as e:\n    return str(e.__traceback__.tb_frame)\nreturn ""',
     SglSyntaxError),
    ("raise", "raise ValueError()", SglSyntaxError),
    ("with", 'with open("x") as f:\n    pass\nreturn ""', SglSyntaxError),
    ("import", "import os\nreturn os.name", SglSyntaxError),
    ("from import", "from os import path\nreturn path.sep", SglSyntaxError),
    ("global", "global x\nreturn x", SglSyntaxError),
    ("nonlocal", "nonlocal x\nreturn x", SglSyntaxError),
    ("del", "x = 1\ndel x\nreturn ''", SglSyntaxError),
    ("yield", "yield 1\nreturn ''", SglSyntaxError),
    ("await", "await x\nreturn ''", SglSyntaxError),
    ("walrus", "return str((x := 1))", SglSyntaxError),
    ("star expression", "xs = [1]\nreturn str(print(*xs))", SglSyntaxError),
    ("class", "class A:\n    pass\n\nproc main() -> Str:\n    return ''", SglSyntaxError),
    ("def", "def f():\n    pass\n\nproc main() -> Str:\n    return ''", SglSyntaxError),
    ("decorator", "@staticmethod\nproc main() -> Str:\n    return ''", SglSyntaxError),
    ("async def", "async def f():\n    pass\n\nproc main() -> Str:\n    return ''", SglSyntaxError),
    ("backslash continuation to a dunder", 'return str("a"\\\n.__class__)', SglTypeError),
    # Decimal context
    ("decimal getcontext", "return str(getcontext())", SglTypeError),
    ("decimal context attribute", 'return str(Decimal("1").context)', SglTypeError),
    ("decimal module", "return str(decimal.getcontext().prec)", SglTypeError),
    ("decimal localcontext", "return str(localcontext())", SglTypeError),
    ("quantize with a context", 'return str(Decimal("1.5").quantize(Decimal("1"), context=None))', SglTypeError),
    # modules
    ("module __dict__", "use std.math\n\nproc main() -> Str:\n    return str(math.__dict__)", SglTypeError),
    ("module __name__", "use std.math\n\nproc main() -> Str:\n    return math.__name__", SglTypeError),
    ("module as value", "use std.math\n\nproc main() -> Str:\n    m = math\n    return str(m)", SglTypeError),
    ("python module", "use os\n\nproc main() -> Str:\n    return ''", SglTypeError),
    ("private std module", "use std._math\n\nproc main() -> Str:\n    return ''", SglTypeError),
    ("python module below std", "use std.os\n\nproc main() -> Str:\n    return ''", SglTypeError),
]


def source_of(text: str) -> str:
    if text.startswith(("proc", "use", "record", "class", "def", "@", "async")):
        return text + "\n"
    body = textwrap.indent(text, "    ")
    return f"{RECORD}proc main() -> Str:\n{body}\n"


def run(text: str) -> Any:
    module = seglam_lang.loads(source_of(text), name="sandbox", host=HOST)
    return module.call_sgl("main", [], {})


@pytest.mark.parametrize(("text", "error"), [(t, e) for _, t, e in CASES], ids=[n for n, _, _ in CASES])
def test_escape_route_is_refused(text: str, error: type[SglError]) -> None:
    with pytest.raises(SglError) as info:
        run(text)
    err = info.value
    assert isinstance(err, error), err.render(source_of(text))
    # a refusal is one located diagnostic, never a Python traceback or a host object's repr
    shown = err.render(source_of(text))
    assert "Traceback" not in shown and " at 0x" not in shown
    if isinstance(err, STATIC):
        assert err.span.line > 0, shown


# Programs that are allowed and touch the edges: their results must be SGL values only, and
# texts of values never show Python's internals (object addresses, class paths of host objects).
ALLOWED: list[tuple[str, str, Any]] = [
    ("proc in a list prints opaquely", "proc g() -> Int:\n    return 1\n\nproc main() -> Str:\n    return str([g])",
     "[<function>]"),
    ("record repr", 'return f"{R(a=1)!r} {R(a=2)}"', "R(a=1) R(a=2)"),
    ("record replace", "return str(R(a=1).replace(a=2))", "R(a=2)"),
    ("braces in an f-string are text", 'x = 1\nreturn f"{{0.__class__}} {x}"', "{0.__class__} 1"),
    ("format-looking text is just text", 'return "{0.__class__}" + "%s"', "{0.__class__}%s"),
    ("a string named like a dunder", 'm = {"__class__": 1}\nreturn str(m["__class__"])', "1"),
    ("date repr", 'return f"{date(2024, 1, 3)!r}"', "datetime.date(2024, 1, 3)"),
    ("host function as a value keeps its checked wrapper", "f = h\nreturn str(f(1))", "2"),
    ("dunder-named local", "__class__ = 3\nreturn str(__class__ + 1)", "4"),
]


def only_sgl_values(v: Any) -> bool:
    """Is `v` built only from the Python types that represent SGL values?"""
    stack = [v]
    atoms = (int, float, bool, str, type(None), decimal.Decimal, datetime.date, datetime.datetime,
             datetime.timedelta)
    while stack:
        x = stack.pop()
        t = type(x)
        if t in atoms:
            continue
        if t in (list, tuple):
            stack.extend(x)
        elif t is dict:
            stack.extend(x.keys())
            stack.extend(x.values())
        elif t is SglSet:
            stack.extend(x)
        elif t is Record:
            stack.extend(x.values)
        else:
            return False
    return True


@pytest.mark.parametrize(("text", "expected"), [(t, e) for _, t, e in ALLOWED], ids=[n for n, _, _ in ALLOWED])
def test_allowed_edges_return_sgl_values(text: str, expected: Any) -> None:
    result = run(text)
    assert result == expected
    assert only_sgl_values(result)


def test_host_function_returning_a_python_object_is_refused() -> None:
    """A host function is trusted code, but what it returns is checked against its SGL type."""
    leaky = {"h": ("(x: Int) -> Int", lambda x: object())}
    module = seglam_lang.loads("proc main() -> Int:\n    return h(1)\n", host=leaky)
    with pytest.raises(SglRuntimeError) as info:
        module.call("main")
    assert " at 0x" not in str(info.value)


def test_runtime_errors_do_not_carry_python_objects() -> None:
    """Errors keep Python's message text; the Python exception is not their cause (SGL code
    cannot catch errors at all: there is no `try`, so exception objects are never SGL values)."""
    module = seglam_lang.loads("proc main(m: Map[Str, Int]) -> Int:\n    return m[\"k\"] // 0\n")
    with pytest.raises(SglRuntimeError) as info:
        module.call("main", {})
    err = info.value
    assert err.__cause__ is None and err.__suppress_context__
    assert [type(f).__name__ for f in err.frames] == ["TraceFrame"]


def test_decimal_context_of_the_host_cannot_be_reached_or_changed() -> None:
    module = seglam_lang.loads('proc main() -> Decimal:\n    return Decimal(1) / Decimal(3)\n')
    with decimal.localcontext() as host:
        host.prec = 5
        assert module.call("main") == decimal.Decimal("0.3333333333333333333333333333")
        assert decimal.getcontext().prec == 5

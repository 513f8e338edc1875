"""Well-typed SGL programs in the Python-shaped subset, for differential testing against CPython.

Owns: `programs()` (a Hypothesis strategy) and `random_program(rng)` (the same generator driven
by a `random.Random`, for seeded runs), both yielding the text of one module with a single
`proc main() -> T:`, and `to_python(source)`, the tiny translator that makes the text CPython's
(`proc main() -> T:` becomes `def main():`; local annotations are never evaluated by CPython).

The programs use locals of `Int`, `Str`, `Bool`, `Float`, `List[Int]`, `List[Str]` and
`Map[Str, Int]`; assignments (plain, annotated, augmented, item), `if`/`elif`/`else`, `for`
over ranges, lists, strings and maps, `while` with a bounded counter, `break`/`continue`/early
`return`, comprehensions, generator expressions, `lambda` keys, arithmetic including
`//`, `%`, `**` with small exponents and bit operators, comparisons and chains, indexing and
slicing, string methods, the built-ins `len sorted min max sum abs round divmod any all
enumerate zip`, and f-strings with simple specs.

Invariants (what "well-typed by construction" means here):
- every name has one type for the whole program, spelled in its prefix (`i3` is an Int,
  `ls0` a List[Str]); a name is read only where it is assigned on every path before
  (names first assigned inside a block are forgotten when the block ends);
- loop, comprehension and lambda variables get fresh names, never assigned elsewhere; a
  `while` counter is fresh and only incremented by its own loop, so every loop ends;
- exponents and repetition counts are small literals, ranges have literal bounds, so CPython
  never runs long on a program SGL accepted within small limits.
Runtime errors are allowed (`[][0]`, `1 // 0`, `{}["k"]`): both sides must then fail.
The alternatives of each choice are listed simplest first, so Hypothesis shrinks toward them.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from hypothesis import strategies as st

INT, STR, BOOL, FLOAT = "Int", "Str", "Bool", "Float"
LINT, LSTR, MAP = "List[Int]", "List[Str]", "Map[Str, Int]"
TYPES = (INT, STR, BOOL, FLOAT, LINT, LSTR, MAP)
PREFIX = {INT: "i", STR: "s", BOOL: "b", FLOAT: "f", LINT: "li", LSTR: "ls", MAP: "m"}

_WORDS = ("", "a", "b", "ab", "a b", "x,y", " pad ", "Hi", "42", "a-b-a", "Zz", "é")
_FLOATS = ("0.5", "1.25", "-2.0", "3.0", "0.1", "2.5", "-0.75", "1e3", "-0.0", "float(\"inf\")", "float(\"nan\")", "1e308")
_STR_SPECS = ("", ">6", "<5", "^7", "*^9", ".2", "-<4")
_INT_SPECS = ("", ">5", "05d", ",", "+d", "x", "b", "^6", "_", "o")
_FLOAT_SPECS = ("", ".2f", "8.3f", ".1%", "e", ".3g", ",.1f", "+.0f", "<9.2f")

X = TypeVar("X")


class Chooser:
    """Where the generator's decisions come from: Hypothesis draws or a seeded `random.Random`."""

    def __init__(self, integer: Callable[[int, int], int]) -> None:
        self.integer = integer

    def choice(self, options: Sequence[X]) -> X:
        return options[self.integer(0, len(options) - 1)]

    def chance(self, percent: int) -> bool:
        return self.integer(1, 100) <= percent


class ProgramGen:
    """Generates one program; `env` maps each type to the names readable at the current point."""

    MAX_DEPTH = 3       # expression nesting
    MAX_BLOCK = 2       # statement nesting (if / for / while)

    def __init__(self, c: Chooser) -> None:
        self.c = c
        self.env: dict[str, list[str]] = {t: [] for t in TYPES}
        self.counters: dict[str, int] = {}
        self.loops = 0      # enclosing loops (break/continue allowed when > 0)
        self.result = INT   # the type `main` returns (drawn by `generate`)
        self.in_fstring = False  # f-strings do not nest (a field cannot reuse the quote)

    # ------------------------------------------------------------------ names

    def fresh(self, prefix: str) -> str:
        n = self.counters.get(prefix, 0)
        self.counters[prefix] = n + 1
        return f"{prefix}{n}"

    def var(self, t: str) -> str | None:
        names = self.env[t]
        return self.c.choice(names) if names else None

    def bound(self, t: str, name: str, body: Callable[[], X]) -> X:
        """Run `body` with `name` readable as a `t` (a loop, comprehension or lambda variable)."""
        self.env[t].append(name)
        try:
            return body()
        finally:
            self.env[t].remove(name)

    # ------------------------------------------------------------------ expressions

    def expr(self, t: str, depth: int = 0) -> str:
        if depth >= self.MAX_DEPTH or self.c.chance(30):
            return self.leaf(t)
        return getattr(self, "e_" + PREFIX[t])(depth + 1)

    def leaf(self, t: str) -> str:
        v = self.var(t)
        if v is not None and self.c.chance(70):
            return v
        c = self.c
        if t == INT:
            return str(c.integer(-3, 12))
        if t == STR:
            return '"' + c.choice(_WORDS) + '"'
        if t == BOOL:
            return c.choice(("True", "False"))
        if t == FLOAT:
            return c.choice(_FLOATS)
        if t == LINT:
            return "[" + ", ".join(str(c.integer(-3, 9)) for _ in range(self.size(4))) + "]"
        if t == LSTR:
            return "[" + ", ".join('"' + c.choice(_WORDS) + '"' for _ in range(self.size(3))) + "]"
        return "{" + ", ".join(f'"{c.choice(_WORDS)}": {c.integer(-2, 9)}' for _ in range(c.integer(0, 3))) + "}"

    def size(self, most: int) -> int:
        """The length of a display: empty one time in ten (empty ones make most subscripts fail)."""
        return 0 if self.c.chance(10) else self.c.integer(1, most)

    def index(self, d: int) -> str:
        """An index: mostly a small literal, so that most programs run past their subscripts."""
        return self.c.choice(("0", "-1", "1")) if self.c.chance(80) else self.expr(INT, d)

    def comp_var(self, t: str, body: Callable[[str], str]) -> str:
        name = self.fresh("c" + PREFIX[t])
        return self.bound(t, name, lambda: body(name))

    def e_i(self, d: int) -> str:
        c, e = self.c, self.expr
        k = c.integer(0, 24)
        if k == 0:
            return f"({e(INT, d)} {c.choice(('+', '-', '*', '//', '%'))} {e(INT, d)})"
        if k == 1:
            return f"({e(INT, d)} ** {c.integer(0, 3)})"
        if k == 2:
            return f"len({e(c.choice((STR, LINT, LSTR, MAP)), d)})"
        if k == 3:
            return f"{c.choice(('abs', '-'))}({e(INT, d)})"
        if k == 4:
            return f"{c.choice(('min', 'max'))}({e(INT, d)}, {e(INT, d)})"
        if k == 5:
            return f"{c.choice(('min', 'max', 'sum'))}({e(LINT, d)})"
        if k == 6:
            return f"round({e(FLOAT, d)})"
        if k == 7:
            return f"divmod({e(INT, d)}, {e(INT, d)})[{c.integer(0, 1)}]"
        if k == 8:
            return f"{e(STR, d)}.{c.choice(('find', 'count', 'rfind'))}({e(STR, d)})"
        if k == 9:
            return f"{e(LINT, d)}[{self.index(d)}]"
        if k == 10:
            return f"{e(MAP, d)}[{e(STR, d)}]"
        if k == 11:
            return f"{e(MAP, d)}.get({e(STR, d)}, {e(INT, d)})"
        if k == 12:
            return f"({e(INT, d)} if {e(BOOL, d)} else {e(INT, d)})"
        if k == 13:
            lst = e(LINT, d)
            return self.comp_var(INT, lambda v: f"sum({v} * {self.expr(INT, d)} for {v} in {lst})")
        if k == 14:
            lst = e(LINT, d)
            return self.comp_var(INT, lambda v: f"len([{v} for {v} in {lst} if {self.expr(BOOL, d)}])")
        if k == 15:
            return f"{e(LINT, d)}.{c.choice(('index', 'count'))}({e(INT, d)})"
        if k == 16:
            return f"sorted({e(LINT, d)})[{self.index(d)}]"
        if k == 17:
            return f"int(str({e(INT, d)}))"
        if k == 18:
            return f"({e(INT, d)} {c.choice(('<<', '>>'))} {c.integer(-1, 5)})"
        if k == 19:
            return f"({e(INT, d)} {c.choice(('&', '|', '^'))} {e(INT, d)})"
        if k == 20:
            return f"~{e(INT, d)}"
        if k == 21:
            return f"int({e(FLOAT, d)})"
        if k == 22:
            lst = e(LINT, d)
            return self.comp_var(INT, lambda v: f"max({lst}, key=lambda {v}: {self.expr(INT, d)})")
        if k == 23:
            return f"len({e(LSTR, d)}[{c.integer(0, 2)}])"
        return f"({e(INT, d)} or {e(INT, d)})"

    def e_s(self, d: int) -> str:
        c, e = self.c, self.expr
        k = c.integer(0, 20)
        if k == 0:
            return f"({e(STR, d)} + {e(STR, d)})"
        if k == 1:
            return f"({e(STR, d)} * {c.integer(-1, 3)})"
        if k == 2:
            return f"{e(STR, d)}[{self.index(d)}]"
        if k == 3:
            lo, hi = (c.choice(("", str(c.integer(-3, 4)))) for _ in range(2))
            step = c.choice(("", ":-1", ":2", ":-2"))
            return f"{e(STR, d)}[{lo}:{hi}{step}]"
        if k == 4:
            m = c.choice(("upper", "lower", "strip", "title", "capitalize", "swapcase", "lstrip", "rstrip"))
            return f"{e(STR, d)}.{m}()"
        if k == 5:
            return f"{e(STR, d)}.replace({e(STR, d)}, {e(STR, d)})"
        if k == 6:
            m = c.choice(("zfill", "ljust", "rjust", "center"))
            return f"{e(STR, d)}.{m}({c.integer(-1, 8)})"
        if k == 7:
            return f"str({e(c.choice((INT, FLOAT, BOOL, LINT, LSTR, MAP)), d)})"
        if k == 8:
            return f"{e(STR, d)}.join({e(LSTR, d)})"
        if k == 9 and not self.in_fstring:
            return self.fstring(d)
        if k == 10:
            return f"({e(STR, d)} if {e(BOOL, d)} else {e(STR, d)})"
        if k == 11:
            return f"{c.choice(('min', 'max'))}({e(STR, d)}, {e(STR, d)})"
        if k == 12:
            return f"{e(STR, d)}.{c.choice(('removeprefix', 'removesuffix', 'strip'))}({e(STR, d)})"
        if k == 13:
            return f"{e(LSTR, d)}[{self.index(d)}]"
        if k == 14:
            return f"{e(STR, d)}.center({c.integer(0, 9)}, \"{c.choice('*-. ')}\")"
        if k == 15:
            lst = e(LINT, d)
            return self.comp_var(INT, lambda v: f'",".join(str({v}) for {v} in {lst})')
        if k == 16:
            return f"{e(STR, d)}.partition({e(STR, d)})[{c.integer(0, 2)}]"
        if k == 17:
            return f"max({e(LSTR, d)})"
        if k == 18:
            return f"({e(STR, d)} or {e(STR, d)})"
        if k == 19:
            return f"{e(STR, d)}.split()[{self.index(d)}]"
        return f"\"\".join(sorted({e(STR, d)}))"

    def fstring(self, d: int) -> str:
        c = self.c
        parts = []
        self.in_fstring = True
        for _ in range(c.integer(1, 3)):
            parts.append(c.choice(("", "v=", " | ", "<")))
            t = c.choice((INT, STR, FLOAT, BOOL, LINT))
            value = self.expr(t, d)
            if t == INT:
                spec = c.choice(_INT_SPECS)
            elif t == FLOAT:
                spec = c.choice(_FLOAT_SPECS)
            elif t == STR:
                spec = c.choice(_STR_SPECS)
            else:
                spec = ""
            conv = "!r" if t in (STR, LINT) and not spec and c.chance(30) else ""
            # a field's expression must not contain the f-string's own quote character
            value = value.replace('"', "'")
            parts.append("{ " + value + conv + (":" + spec if spec else "") + "}")
        self.in_fstring = False
        return 'f"' + "".join(parts) + '"'

    def e_b(self, d: int) -> str:
        c, e = self.c, self.expr
        k = c.integer(0, 15)
        if k == 0:
            t = c.choice((INT, STR, FLOAT))
            return f"({e(t, d)} {c.choice(('<', '<=', '>', '>=', '==', '!='))} {e(t, d)})"
        if k == 1:
            return f"({e(BOOL, d)} {c.choice(('and', 'or'))} {e(BOOL, d)})"
        if k == 2:
            return f"(not {e(BOOL, d)})"
        if k == 3:
            return f"({e(INT, d)} {c.choice(('in', 'not in'))} {e(LINT, d)})"
        if k == 4:
            return f"({e(STR, d)} {c.choice(('in', 'not in'))} {e(c.choice((STR, LSTR, MAP)), d)})"
        if k == 5:
            return f"{e(STR, d)}.{c.choice(('startswith', 'endswith'))}({e(STR, d)})"
        if k == 6:
            return f"{e(STR, d)}.{c.choice(('isdigit', 'isalpha', 'isspace', 'isupper', 'islower', 'isalnum'))}()"
        if k == 7:
            lst = e(LINT, d)
            fn = c.choice(("any", "all"))
            return self.comp_var(INT, lambda v: f"{fn}({self.expr(BOOL, d)} for {v} in {lst})")
        if k == 8:
            return f"{c.choice(('any', 'all'))}({e(LINT, d)})"
        if k == 9:
            return f"bool({e(c.choice((INT, STR, LINT, MAP, FLOAT)), d)})"
        if k == 10:
            t = c.choice((LINT, LSTR, MAP))
            return f"({e(t, d)} {c.choice(('==', '!='))} {e(t, d)})"
        if k == 11:
            return f"({e(INT, d)} < {e(INT, d)} <= {e(INT, d)})"
        if k == 12:
            return f"({e(LINT, d)} < {e(LINT, d)})"
        if k == 13:
            return f"({e(FLOAT, d)} == {e(INT, d)})"
        if k == 14:
            return f"({e(BOOL, d)} == {e(BOOL, d)})"
        return f"({e(BOOL, d)} if {e(BOOL, d)} else {e(BOOL, d)})"

    def e_f(self, d: int) -> str:
        c, e = self.c, self.expr
        k = c.integer(0, 11)
        if k == 0:
            return f"({e(FLOAT, d)} {c.choice(('+', '-', '*', '/', '//', '%'))} {e(FLOAT, d)})"
        if k == 1:
            return f"({e(INT, d)} / {e(INT, d)})"
        if k == 2:
            return f"({e(FLOAT, d)} {c.choice(('+', '*', '-'))} {e(INT, d)})"
        if k == 3:
            return f"float({e(INT, d)})"
        if k == 4:
            return f"round({e(FLOAT, d)}, {c.integer(-1, 3)})"
        if k == 5:
            return f"{c.choice(('abs', '-'))}({e(FLOAT, d)})"
        if k == 6:
            return f"{c.choice(('min', 'max'))}({e(FLOAT, d)}, {e(FLOAT, d)})"
        if k == 7:
            return f"({e(FLOAT, d)} ** {c.integer(0, 3)})"
        if k == 8:
            return f"({e(FLOAT, d)} if {e(BOOL, d)} else {e(FLOAT, d)})"
        if k == 9:
            return f"sum([{e(FLOAT, d)}, {e(FLOAT, d)}])"
        if k == 10:
            return f"divmod({e(FLOAT, d)}, {e(FLOAT, d)})[{c.integer(0, 1)}]"
        return f"float({e(STR, d)}.count(\"a\"))"

    def e_li(self, d: int) -> str:
        c, e = self.c, self.expr
        k = c.integer(0, 17)
        if k == 0:
            return f"({e(LINT, d)} + {e(LINT, d)})"
        if k == 1:
            return f"({e(LINT, d)} * {c.integer(-1, 3)})"
        if k == 2:
            return f"{e(LINT, d)}[{c.integer(-3, 3)}:{c.integer(-3, 5)}]"
        if k == 3:
            return f"{e(LINT, d)}[::{c.choice(('-1', '2', '-2'))}]"
        if k == 4:
            return f"sorted({e(LINT, d)}, reverse={e(BOOL, d)})"
        if k == 5:
            lst = e(LINT, d)
            return self.comp_var(INT, lambda v: f"sorted({lst}, key=lambda {v}: {self.expr(INT, d)})")
        if k == 6:
            lst = e(LINT, d)
            return self.comp_var(INT, lambda v: f"[{self.expr(INT, d)} for {v} in {lst}]")
        if k == 7:
            n = c.integer(0, 6)
            return self.comp_var(INT, lambda v: f"[{self.expr(INT, d)} for {v} in range({n})]")
        if k == 8:
            lst = e(LINT, d)
            return self.comp_var(INT, lambda v: f"[{v} for {v} in {lst} if {self.expr(BOOL, d)}]")
        if k == 9:
            return f"list(range({c.integer(-2, 3)}, {c.integer(0, 8)}, {c.choice((1, 2, 3, -1))}))"
        if k == 10:
            return f"list({e(MAP, d)}.values())"
        if k == 11:
            lst = e(LSTR, d)
            return self.comp_var(STR, lambda v: f"[len({v}) for {v} in {lst}]")
        if k == 12:
            a, b = e(LINT, d), e(LINT, d)
            x, y = self.fresh("ci"), self.fresh("ci")
            return self.bound(INT, x, lambda: self.bound(
                INT, y, lambda: f"[{self.expr(INT, d)} for {x}, {y} in zip({a}, {b})]"))
        if k == 13:
            lst = e(LINT, d)
            i, v = self.fresh("ci"), self.fresh("ci")
            return self.bound(INT, i, lambda: self.bound(
                INT, v, lambda: f"[{i} * {v} for {i}, {v} in enumerate({lst})]"))
        if k == 14:
            return f"list(reversed({e(LINT, d)}))"
        if k == 15:
            return f"[{e(INT, d)}, {e(INT, d)}]"
        if k == 16:
            a, b = e(LINT, d), e(LINT, d)
            x, y = self.fresh("ci"), self.fresh("ci")
            return self.bound(INT, x, lambda: self.bound(
                INT, y, lambda: f"[{x} - {y} for {x} in {a} for {y} in {b} if {x} != {y}]"))
        return f"list(divmod({e(INT, d)}, {e(INT, d)}))"

    def e_ls(self, d: int) -> str:
        c, e = self.c, self.expr
        k = c.integer(0, 10)
        if k == 0:
            return f"{e(STR, d)}.split()"
        if k == 1:
            return f"{e(STR, d)}.split({e(STR, d)})"
        if k == 2:
            return f"sorted({e(MAP, d)})"
        if k == 3:
            return f"list({e(MAP, d)}.keys())"
        if k == 4:
            lst = e(LINT, d)
            return self.comp_var(INT, lambda v: f"[str({v}) for {v} in {lst}]")
        if k == 5:
            return f"({e(LSTR, d)} + {e(LSTR, d)})"
        if k == 6:
            return f"sorted({e(LSTR, d)}, reverse={e(BOOL, d)})"
        if k == 7:
            return f"list({e(STR, d)})"
        if k == 8:
            lst = e(LSTR, d)
            return self.comp_var(STR, lambda v: f"[{v}.upper() for {v} in {lst} if {self.expr(BOOL, d)}]")
        if k == 9:
            return f"{e(LSTR, d)}[{c.integer(-2, 2)}:]"
        return f"[{e(STR, d)}, {e(STR, d)}]"

    def e_m(self, d: int) -> str:
        c, e = self.c, self.expr
        k = c.integer(0, 6)
        if k == 0:
            return f"{{{e(STR, d)}: {e(INT, d)}}}"
        if k == 1:
            lst = e(LSTR, d)
            return self.comp_var(STR, lambda v: f"{{{v}: len({v}) for {v} in {lst}}}")
        if k == 2:
            lst = e(LINT, d)
            return self.comp_var(INT, lambda v: f"{{str({v}): {self.expr(INT, d)} for {v} in {lst}}}")
        if k == 3:
            return f"dict({e(MAP, d)})"
        if k == 4:
            return f"({e(MAP, d)} | {e(MAP, d)})"
        if k == 5:
            return f"dict(zip({e(LSTR, d)}, {e(LINT, d)}))"
        s = e(STR, d)
        return self.comp_var(STR, lambda v: f"{{{v}: {s}.count({v}) for {v} in {s}}}")

    # ------------------------------------------------------------------ statements

    def block(self, indent: int, level: int, size: int) -> list[str]:
        """Statements of one block; names first assigned here are forgotten when it ends."""
        saved = {t: list(ns) for t, ns in self.env.items()}
        lines: list[str] = []
        for _ in range(size):
            lines += self.stmt(indent, level)
        self.env = saved
        return lines

    def assign_target(self, t: str) -> tuple[str, bool]:
        """An existing name of type `t`, or a fresh one (True when fresh)."""
        v = self.var(t)
        if v is not None and self.c.chance(50):
            return v, False
        return self.fresh(PREFIX[t]), True

    def stmt(self, indent: int, level: int) -> list[str]:
        c = self.c
        pad = "    " * indent
        k = c.integer(0, 12 if level < self.MAX_BLOCK else 7)
        if k <= 2:
            t = c.choice(TYPES)
            value = self.expr(t)
            name, new = self.assign_target(t)
            ann = f": {t}" if new and c.chance(30) else ""
            self.env[t].append(name)
            return [f"{pad}{name}{ann} = {value}"]
        if k == 3:
            t = c.choice((INT, STR, FLOAT, LINT, LSTR))
            name = self.var(t)
            if name is None:
                return self.stmt(indent, level)
            ops = {INT: ("+=", "-=", "*=", "//=", "%="), FLOAT: ("+=", "-=", "*="), STR: ("+=",)}.get(t, ("+=",))
            rhs = INT if t == FLOAT and c.chance(30) else t
            return [f"{pad}{name} {c.choice(ops)} {self.expr(rhs)}"]
        if k == 4:
            lst = self.var(LINT)
            if lst is None:
                return self.stmt(indent, level)
            m = c.integer(0, 6)
            if m == 0:
                return [f"{pad}{lst}.append({self.expr(INT)})"]
            if m == 1:
                return [f"{pad}{lst}.extend({self.expr(LINT)})"]
            if m == 2:
                return [f"{pad}{lst}.insert({self.expr(INT)}, {self.expr(INT)})"]
            if m == 3:
                return [f"{pad}{lst}.pop()"]
            if m == 4:
                return [f"{pad}{lst}.{c.choice(('sort', 'reverse'))}()"]
            if m == 5:
                return [f"{pad}{lst}[{self.expr(INT)}] = {self.expr(INT)}"]
            return [f"{pad}{lst}[{self.expr(INT)}] += {self.expr(INT)}"]
        if k == 5:
            m = self.var(MAP)
            if m is None:
                return self.stmt(indent, level)
            op = c.choice(("=", "=", "+="))
            if c.chance(20):
                return [f"{pad}{m}.setdefault({self.expr(STR)}, {self.expr(INT)})"]
            return [f"{pad}{m}[{self.expr(STR)}] {op} {self.expr(INT)}"]
        if k == 6:
            if self.loops and c.chance(50):
                return [f"{pad}if {self.expr(BOOL)}:", f"{pad}    {c.choice(('break', 'continue'))}"]
            return [f"{pad}if {self.expr(BOOL)}:", f"{pad}    return {self.expr(self.result)}"]
        if k == 7:
            ls = self.var(LSTR)
            if ls is None:
                return self.stmt(indent, level)
            return [f"{pad}{ls}.append({self.expr(STR)})"]
        if k <= 9:
            return self.if_stmt(indent, level)
        if k == 10:
            return self.for_stmt(indent, level)
        return self.while_stmt(indent, level)

    def if_stmt(self, indent: int, level: int) -> list[str]:
        c = self.c
        pad = "    " * indent
        lines = [f"{pad}if {self.expr(BOOL)}:", *self.block(indent + 1, level + 1, c.integer(1, 3))]
        for _ in range(c.integer(0, 2)):
            lines += [f"{pad}elif {self.expr(BOOL)}:", *self.block(indent + 1, level + 1, c.integer(1, 2))]
        if c.chance(50):
            lines += [f"{pad}else:", *self.block(indent + 1, level + 1, c.integer(1, 2))]
        return lines

    def loop_body(self, indent: int, level: int, bind: Sequence[tuple[str, str]]) -> list[str]:
        self.loops += 1
        for t, name in bind:
            self.env[t].append(name)
        try:
            return self.block(indent + 1, level + 1, self.c.integer(1, 3))
        finally:
            for t, name in bind:
                self.env[t].remove(name)
            self.loops -= 1

    def for_stmt(self, indent: int, level: int) -> list[str]:
        c = self.c
        pad = "    " * indent
        k = c.integer(0, 5)
        if k == 0:
            v = self.fresh("vi")
            head, bind = f"for {v} in range({c.integer(-1, 5)}):", [(INT, v)]
        elif k == 1:
            v = self.fresh("vi")
            head, bind = f"for {v} in {self.expr(LINT)}:", [(INT, v)]
        elif k == 2:
            v = self.fresh("vs")
            head, bind = f"for {v} in {self.expr(c.choice((STR, LSTR, MAP)))}:", [(STR, v)]
        elif k == 3:
            kv, vv = self.fresh("vs"), self.fresh("vi")
            head, bind = f"for {kv}, {vv} in {self.expr(MAP)}.items():", [(STR, kv), (INT, vv)]
        elif k == 4:
            iv, vv = self.fresh("vi"), self.fresh("vs")
            head, bind = f"for {iv}, {vv} in enumerate({self.expr(LSTR)}):", [(INT, iv), (STR, vv)]
        else:
            v = self.fresh("vi")
            head, bind = f"for {v} in range({c.integer(0, 3)}, {c.integer(0, 9)}, {c.choice((1, 2, -1))}):", [(INT, v)]
        return [pad + head, *self.loop_body(indent, level, bind)]

    def while_stmt(self, indent: int, level: int) -> list[str]:
        pad = "    " * indent
        w = self.fresh("w")
        cond = f"{w} < {self.c.integer(0, 4)}"
        if self.c.chance(40):
            cond += f" and {self.expr(BOOL)}"
        body = self.loop_body(indent, level, [])
        return [f"{pad}{w} = 0", f"{pad}while {cond}:", f"{pad}    {w} += 1", *body]

    def generate(self) -> str:
        self.result = self.c.choice(TYPES)
        lines: list[str] = []
        for _ in range(self.c.integer(1, 6)):
            lines += self.stmt(1, 0)
        lines.append(f"    return {self.expr(self.result)}")
        return "\n".join([f"proc main() -> {self.result}:", *lines]) + "\n"


@st.composite
def programs(draw: Callable[[st.SearchStrategy[Any]], Any]) -> str:
    """The text of one well-typed SGL module with a `proc main()`."""
    return ProgramGen(Chooser(lambda lo, hi: draw(st.integers(lo, hi)))).generate()


def random_program(rng: random.Random) -> str:
    """The same generator, driven by a seeded `random.Random` (reproducible by seed)."""
    return ProgramGen(Chooser(rng.randint)).generate()


_PROC = re.compile(r"^proc (\w+)\(\) -> .*:$", re.M)


def to_python(source: str) -> str:
    """The program as CPython source: `proc main() -> T:` becomes `def main():`."""
    return _PROC.sub(r"def \1():", source)

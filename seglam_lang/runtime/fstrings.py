"""f-string fields: `format_field(ctx, value, conversion, spec)`, the value of `{value!conv:spec}`.

Owns SGL's format-spec subset `[[fill]align][sign][0][width][,|_][.precision][type]` with
`align` in `< > ^`, `type` in `d f e E g G % s x X b o`, width and precision of at most three
digits (the grammar is `syntax.formatspec.FORMAT_SPEC_RE`, which the parser also checks at load).
Results are CPython's for every supported combination; a spec that does not suit the
value's type is an error, never a guess.

Safety (why this is not `str.format`): user text never reaches `str.format` or `format()` on
an arbitrary object, the route of the sandbox escapes in simpleeval, asteval and
RestrictedPython (`{0.__class__}`, `__format__` of host objects). Strings are padded and
truncated here. Only for `int`, `bool`, `float` and `Decimal` (whose `__format__` is C code
that reads nothing but the spec) is Python's `format` called, and only with a spec rebuilt
from the parsed, validated parts. Other types accept only an empty spec (their `str()`); use
`!s` or `str(x)` to pad them as text.

Bounds: width and precision are capped by the grammar at 999; a Decimal printed with `f` or
`%` (whose length grows with its exponent: `Decimal("1e999999")`) is measured before it is
built; ints follow CPython's 4,300-digit rule for decimal text.
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from typing import Any

from seglam_lang.codes import E_TYPE
from seglam_lang.errors import SglRuntimeError
from seglam_lang.runtime.cost import charge_printing
from seglam_lang.runtime.limits import RunContext
from seglam_lang.runtime.ops import DECIMAL_CONTEXT
from seglam_lang.runtime.values import int_text, repr_of, sgl_type_name, str_of
from seglam_lang.syntax.formatspec import FORMAT_SPEC_RE

_DECIMAL_TYPES = frozenset("fFeEgG%") | {None}


def format_field(ctx: RunContext, value: Any, conversion: str | None, spec: str | None) -> str:
    """The text of one f-string field, as CPython's `format(value!conversion, spec)` gives it."""
    limit = ctx.limits.str_len
    charge_printing(ctx, value)
    if conversion == "r":
        value = repr_of(value, limit)
    elif conversion == "s":
        value = str_of(value, limit)
    elif conversion is not None:
        raise SglRuntimeError(f"unknown f-string conversion !{conversion}", code=E_TYPE)
    if not spec:
        return value if type(value) is str else str_of(value, limit)
    m = FORMAT_SPEC_RE.match(spec)
    if m is None:
        raise SglRuntimeError(f"unsupported format spec {spec!r}", code=E_TYPE,
                              hint="SGL supports [[fill]align][sign][0][width][,|_][.precision][type]")
    p = m.groupdict()
    t = type(value)
    if t is str:
        return _format_str(value, p)
    if t is int or t is bool:
        if p["type"] in (None, "d"):
            int_text(value)  # CPython's 4,300-digit rule, whatever the host configured
        return format(value, _rebuild(p))
    if t is float:
        return format(value, _rebuild(p))
    if t is Decimal:
        return _format_decimal(ctx, value, p)
    raise SglRuntimeError(
        f"format spec {spec!r} does not apply to a {sgl_type_name(value)} value", code=E_TYPE,
        hint=f'format its text instead: f"{{str(x):{spec}}}" or f"{{x!s:{spec}}}"',
    )


def _rebuild(p: dict[str, str | None]) -> str:
    """The spec text from validated parts (fill only with an align, as the grammar requires)."""
    fill = (p["fill"] or "") if p["align"] else ""
    precision = f".{p['precision']}" if p["precision"] is not None else ""
    return "".join((fill, p["align"] or "", p["sign"] or "", p["zero"] or "", p["width"] or "",
                    p["grouping"] or "", precision, p["type"] or ""))


def _format_str(s: str, p: dict[str, str | None]) -> str:
    if p["type"] not in (None, "s"):
        raise ValueError(f"Unknown format code '{p['type']}' for object of type 'str'")
    if p["sign"]:
        raise ValueError("Sign not allowed in string format specifier")
    if p["grouping"]:
        raise ValueError(f"Cannot specify '{p['grouping']}' with 's'.")
    if p["precision"] is not None:
        s = s[: int(p["precision"])]
    width = int(p["width"] or 0)
    if len(s) >= width:
        return s
    fill = p["fill"] or ("0" if p["zero"] else " ")
    pad = width - len(s)
    align = p["align"] or "<"
    if align == "<":
        return s + fill * pad
    if align == ">":
        return fill * pad + s
    left = pad // 2
    return fill * left + s + fill * (pad - left)


def _format_decimal(ctx: RunContext, d: Decimal, p: dict[str, str | None]) -> str:
    kind = p["type"]
    if kind not in _DECIMAL_TYPES:
        raise ValueError(f"Unknown format code '{kind}' for object of type 'decimal.Decimal'")
    if d.is_finite():
        exponent = d.as_tuple().exponent
        assert isinstance(exponent, int)
        if kind in ("f", "F", "%"):
            # Fixed point writes every digit down to the exponent (or the precision).
            whole = max(d.adjusted() + (2 if kind == "%" else 0), 0) + 1
            frac = int(p["precision"]) if p["precision"] is not None else max(-exponent, 0)
            length = whole + frac + 3
        else:
            length = len(d.as_tuple().digits) + 12
        if p["grouping"]:
            length += length // 3
        ctx.check_str_len(length)
    with decimal.localcontext(DECIMAL_CONTEXT):  # rounding by SGL's context, not the thread's
        return format(d, _rebuild(p))

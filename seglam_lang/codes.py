"""Every diagnostic code of SGL, with its meaning: the one registry.

Owns: the code constants (`E_MISMATCH = "E0210"`) that every layer raises with, and the
meaning of each code. `spec/errors.md`'s code tables are generated from here (run
`python -m seglam_lang.codes` to rewrite them; a test keeps the page in step), and a test
checks that every code the sources raise is registered here and written by its name.

Invariants: each code is registered once, under one name; codes are grouped by their
hundreds, one group per exception class (E00 `SglError`, E01 syntax, E02 check, E03
runtime, E04 limits, E05 usage, E06 the reasoning cache); this module imports nothing of the package, so every
layer can use it.
"""

from __future__ import annotations

MEANINGS: dict[str, str] = {}  # code -> meaning, in registration (= numeric) order


def _code(code: str, meaning: str) -> str:
    if code in MEANINGS:
        raise ValueError(f"{code} registered twice")
    MEANINGS[code] = meaning
    return code


E_ERROR = _code("E0000", "an `SglError` raised without a more specific code (SGL itself always gives one)")
E_SYNTAX = _code("E0100", "a syntax error without a more specific code")
E_GRAMMAR = _code(
    "E0101",
    "the source does not follow the grammar: an unexpected token or character, an unterminated string, a "
    "NUL character, an invalid literal or f-string, a Python construct SGL does not have (with a hint)",
)
E_INDENTATION = _code(
    "E0102",
    "bad indentation: a dedent to no enclosing level, an unexpected indent, an indented first line",
)
E_PARSER_BOUND = _code("E0103", "a parser bound: source too large, integer literal too long, nesting too deep")
E_TAB = _code("E0104", "a tab in indentation")
E_FORMAT_SPEC = _code("E0105", "an f-string format spec outside the supported subset")
E_RESERVED_WORD = _code("E0106", "a reserved word used as a name")
E_CHECK = _code("E0200", "a check error without a more specific code")
E_UNKNOWN_NAME = _code("E0201", "unknown name (with \"did you mean\" among the names in scope)")
E_UNKNOWN_TYPE = _code("E0202", "unknown type in an annotation, or wrong type arguments (`List[Int, Str]`)")
E_NO_ATTRIBUTE = _code(
    "E0203",
    "no such attribute or method on a value (there are no Python attributes: `x.__class__`), or a method "
    "not called",
)
E_UNKNOWN_FIELD = _code("E0204", "unknown record field (building, `replace`, reading)")
E_UNKNOWN_MODULE = _code("E0205", "`use` of an unknown module")
E_UNKNOWN_MEMBER = _code("E0206", "unknown member of a used module")
E_ARG_COUNT = _code(
    "E0207",
    "wrong number of positional arguments, a keyword given twice or given for a positional-only "
    "parameter, positional arguments to a record",
)
E_UNKNOWN_KEYWORD = _code("E0208", "unknown keyword argument")
E_MISSING_ARG = _code("E0209", "missing argument or record field (no default)")
E_MISMATCH = _code(
    "E0210",
    "type mismatch: a value of one type where another is needed (arguments, fields, elements, "
    "`Decimal(Float)`...)",
)
E_BAD_OPERATOR = _code(
    "E0211",
    "operator not defined for these operand types (`Bool` arithmetic, `Float` with `Decimal`, `Str + "
    "Int`...)",
)
E_EQ_UNRELATED = _code("E0212", "`==`/`!=`/`in` between unrelated types: always False (or True)")
E_NO_ORDER = _code("E0213", "ordering (`<`, `sorted`, `min`) between values without an order")
E_USED_BEFORE_ASSIGNMENT = _code(
    "E0214",
    "local used before it is assigned on some path; constant used before its definition",
)
E_MISSING_RETURN = _code("E0215", "a proc that returns a value can reach its end without `return`")
E_RETURN_TYPE = _code("E0216", "returned value does not match the declared return type, or `return` without a value")
E_OUTSIDE_LOOP = _code("E0217", "`break` / `continue` outside a loop")
E_RETURN_OUTSIDE_PROC = _code("E0218", "`return` in a property")
E_RECORD_ASSIGN = _code("E0219", "assignment to a record field (records are immutable: `r.replace(...)`)")
E_FROZEN = _code("E0220", "changing a module constant (`CONST.append(x)`, `CONST[k] = v`): constants are frozen")
E_DUPLICATE = _code("E0221", "duplicate definition (proc, record, constant, `use` alias, property, parameter, field)")
E_SHADOWS_BUILTIN = _code("E0222", "a declaration named like a built-in function or type")
E_EXAMPLE_NOT_BOOL = _code("E0223", "an `example` that is not a Bool expression")
E_TEMPLATE_SLOT = _code("E0224", "a `@when` template that does not parse, or whose `{slot}` is not a parameter")
E_PARAM_NOT_IN_TEMPLATE = _code("E0225", "a parameter that no `@when` template names has no default")
E_BAD_REGEX = _code(
    "E0226",
    "a `@when(re\"...\")` pattern, or a literal pattern given to a `std.re` function, that RE2 rejects",
)
E_REGEX_GROUP = _code("E0227", "a named group of a `@when(re\"...\")` pattern that is not a parameter")
E_REASSIGN = _code("E0228", "a local assigned a value its first assignment's type cannot hold (declare it wider)")
E_IS_NOT_NONE = _code("E0229", "`is` / `is not` with something other than `None`")
E_NOT_CALLABLE = _code(
    "E0230",
    "calling (or using as a value) something that is not a function: a module, a record name, a field",
)
E_CANNOT_INFER = _code(
    "E0231",
    "a lambda whose parameter types cannot be inferred (not passed where a function is expected)",
)
E_BAD_FORMAT = _code("E0232", "an f-string format spec that does not suit the value's type (`{name:.2f}` on a Str)")
E_NOT_ITERABLE = _code(
    "E0233",
    "iterating or unpacking a value that is not iterable, or unpacking the wrong number of items",
)
E_BAD_INDEX = _code(
    "E0234",
    "indexing or slicing a value that cannot be indexed, or item assignment to one that cannot change",
)
E_TRUTH = _code(
    "E0235",
    "a condition whose truth means nothing (a record, a date, an iterator: always true; None: always "
    "false)",
)
E_MESSAGE_NOT_STR = _code("E0236", "a `require` / `assert` / `fail` message that is not a Str")
E_MAYBE_NONE = _code(
    "E0237",
    "using a value that may be None as if it were not (narrow it first: `if x is not None:`)",
)
E_UNHASHABLE = _code("E0238", "an unhashable set element or map key (List, Map, Set)")
E_TUPLE_INDEX = _code(
    "E0239",
    "a Tuple index out of range, or a non-constant index into a Tuple whose items differ in type",
)
E_CYCLE = _code("E0241", "modules that `use` each other in a cycle")
E_OVER_BROAD_TRIGGER = _code(
    "E0242",
    "an over-broad `@when` trigger: a match need not contain a literal word of it (spec/triggers.md)",
)
E_EXAMPLE_NOT_CALL = _code(
    "E0243",
    "an `example ... is not applicable` / `example ... fails` that is not a call of a proc of the module",
)
E_RUNTIME = _code("E0300", "a runtime error without a more specific code")
E_REQUIRE = _code("E0301", "`require` failed: the proc does not apply (`NotApplicable`)")
E_ASSERT = _code("E0302", "`assert` failed")
E_FAIL = _code("E0303", "`fail` was executed")
E_ZERO_DIVISION = _code("E0304", "division or modulo by zero")
E_INDEX = _code("E0305", "an index out of range")
E_KEY = _code("E0306", "a missing map key")
E_VALUE = _code(
    "E0307",
    "a bad value: a conversion that does not read (`int(\"x\")`), an unpacking of the wrong length, a "
    "collection changed while iterated, an empty `min`/`max`, ...",
)
E_OVERFLOW = _code("E0308", "a numeric overflow (a `Float` result too large, a date out of range)")
E_FROZEN_AT_RUN = _code("E0309", "changing a frozen value at run time (a module constant, a record)")
E_TYPE = _code(
    "E0310",
    "a value of the wrong type reached an operation at run time (from a host function or an argument the "
    "checker could not see)",
)
E_HOST = _code("E0311", "a host function failed or returned a value of the wrong type")
E_CONST_CYCLE = _code("E0312", "a module constant defined in terms of itself")
E_INTERNAL = _code("E0399", "an internal error of the interpreter (a bug; reported, never a Python traceback)")
E_LIMIT = _code("E0400", "a limit without a more specific code")
E_STEPS = _code("E0401", "the step limit")
E_TIME = _code("E0402", "the time limit")
E_STRING_LENGTH = _code("E0403", "the string length limit")
E_COLLECTION_SIZE = _code("E0404", "the collection size limit")
E_INT_SIZE = _code("E0405", "the integer size limit")
E_DEPTH = _code("E0406", "the call depth limit")
E_MEMORY = _code("E0407", "out of memory")
E_USAGE = _code(
    "E0500",
    "the API or command line was used wrongly (no such proc, wrong arguments, a value that does not "
    "convert to its parameter's type, a host function registered with a bad signature); also `ConvertError`: "
    "text or JSON that does not convert to or from its type",
)
E_CONVERT = _code(
    "E0501",
    "a host value that does not convert to its SGL type (`Module.call`, `from_python`), or a type that "
    "Hypothesis cannot generate values for",
)
E_CACHE = _code(
    "E0600",
    "a reasoning-cache operation cannot be done (a module that does not verify, an unknown family, a bad "
    "request...)",
)
E_CACHE_MISS = _code("E0601", "no cached procedure answers the request and no compiler is configured (`CacheMiss`)")
E_STORE = _code("E0602", "the cache folder or its index refused an operation (`StoreError`)")
E_COMPILER = _code("E0603", "the compiler could not produce a verified module (`CompilerError`, `BackendError`)")

def table(group: str) -> str:
    """The Markdown table of the codes starting with `group` (`"E02"`), as `spec/errors.md` shows it."""
    rows = [f"| {code} | {meaning} |" for code, meaning in MEANINGS.items() if code.startswith(group)]
    return "\n".join(["| code | meaning |", "|---|---|", *rows])


def with_tables(page: str) -> str:
    """`page` (the text of `spec/errors.md`) with each code table replaced by the generated one."""
    import re  # here, not at the top: every sgl process imports this module, few write the spec

    tables = re.compile(r"^\| code \| meaning \|\n\|---\|---\|\n(?:\| (E\d\d)\d\d \|.*\n?)+", re.M)
    return tables.sub(lambda m: table(m.group(1)) + ("\n" if m.group(0).endswith("\n") else ""), page)


if __name__ == "__main__":
    import sys
    from pathlib import Path

    spec = Path(sys.argv[1] if len(sys.argv) > 1 else "spec/errors.md")
    spec.write_text(with_tables(spec.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote the code tables of {spec}")

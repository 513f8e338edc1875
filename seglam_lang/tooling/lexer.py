"""A Pygments lexer for SGL, registered as `sgl` (entry point `pygments.lexers`).

Owns: the token classes of SGL text for highlighting (keywords, soft declaration
keywords, built-in types, triggers, strings with their prefixes, escapes and f-string
fields, numbers, comments, operators).

Invariants:
- it follows `spec/lexical.md`: reserved words are keywords everywhere; `proc`, `record`,
  `use`, `example`, `property` and `origin` are keywords only where they start a
  top-level declaration (they are names elsewhere);
- there is no catch-all rule: text the rules do not describe is an `Error` token, so the
  test that lexes every `.sgl` file of the repository without error tokens means the
  rules cover the language;
- Pygments is needed only here (the `highlight` extra); nothing else imports this module.
"""

from __future__ import annotations

from pygments.lexer import RegexLexer, bygroups, include, words
from pygments.token import (
    Comment,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Text,
    Whitespace,
)

NAME = r"[^\W\d]\w*"
RESERVED = (
    "False None True and as assert async await break class continue def del elif else except finally for "
    "from global if import in is lambda nonlocal not or pass raise return try while with yield require fail"
).split()
CONSTANTS = ("True", "False", "None")
OPERATOR_WORDS = ("and", "or", "not", "in", "is")
TYPES = ("Int", "Float", "Decimal", "Bool", "Str", "Date", "DateTime", "Duration", "List", "Map", "Set", "Tuple")
STRING_PREFIX = r"(?i:rf|fr|rb|br|r|f|re|b|u)?"


def _string_states(quote: str, name: str) -> dict[str, list]:
    """The states inside one kind of quote: plain (escapes), raw, and formatted (fields)."""
    single = len(quote) == 1
    body = "[^\\\\" + quote[0] + ("{}\\n]+" if single else "{}]+")
    end = [(quote, String, "#pop")]
    # A one-line string has no rule for a newline: Pygments ends it there and goes back to the root state.
    lone_quote = [] if single else [(quote[0], String)]
    return {
        f"{name}": [*end, include("escape"), (body, String), *lone_quote, (r"[{}]", String)],
        f"{name}-raw": [*end, (r"\\.", String), (body, String), *lone_quote, (r"[{}\\]", String)],
        f"{name}-f": [*end, include("escape"), (r"\{\{|\}\}", String.Escape), (r"\{", String.Interpol, "fstring-field"),
                      (body, String), *lone_quote],
        f"{name}-rf": [*end, (r"\{\{|\}\}", String.Escape), (r"\{", String.Interpol, "fstring-field"),
                       (r"\\.", String), (body, String), *lone_quote, (r"\\", String)],
    }


class SglLexer(RegexLexer):
    """SGL, the procedure language of SEGLAM (`.sgl` files)."""

    name = "SGL"
    aliases = ["sgl", "sgl-run", "sgl-error"]  # the fences of spec/ pages
    filenames = ["*.sgl"]
    mimetypes = ["text/x-sgl"]
    url = "https://github.com/seglam/seglam"

    tokens = {
        "root": [
            (r"\n", Whitespace),
            # Soft keywords start a declaration at the beginning of a line.
            (rf"^(proc|property)(\s+)({NAME})", bygroups(Keyword.Declaration, Whitespace, Name.Function)),
            (rf"^(record)(\s+)({NAME})", bygroups(Keyword.Declaration, Whitespace, Name.Class)),
            (r"^(use)(\s+)", bygroups(Keyword.Namespace, Whitespace), "use"),
            (r"^(example|origin)\b", Keyword.Declaration),
            (rf"^(@)({NAME})(\()", bygroups(Name.Decorator, Name.Decorator, Punctuation), "trigger"),
            include("code"),
        ],
        # `@when("...{slot}...")`: the slots of a template are fields; a `re"..."` pattern is raw.
        # Adjacent literals may continue the pattern on the next lines, until `)`.
        "trigger": [
            (r"\)", Punctuation, "#pop"),
            (r"\n", Whitespace),
            (r'"', String, "template-dq"),
            (r"'", String, "template-sq"),
            include("code"),
        ],
        "template-dq": [(r'"', String, "#pop"), (r"[^\"\\{}\n]+", String), include("template")],
        "template-sq": [(r"'", String, "#pop"), (r"[^'\\{}\n]+", String), include("template")],
        "template": [
            (r"\{\{|\}\}", String.Escape),
            (r"\{[^{}'\"\n]*\}", String.Interpol),
            include("escape"),
            (r"[{}]", String),
        ],
        "use": [
            (r"(as)\b", Keyword.Namespace),
            (NAME, Name.Namespace),
            (r"\.", Punctuation),
            (r"[ \t]+", Whitespace),
            (r"#.*$", Comment.Single),
            (r"\n", Whitespace, "#pop"),
        ],
        "code": [
            (r"[ \t\f]+", Whitespace),
            (r"\\\n", Text),
            (r"#.*$", Comment.Single),
            include("strings"),
            include("numbers"),
            (words(CONSTANTS, suffix=r"\b"), Keyword.Constant),
            (words(OPERATOR_WORDS, suffix=r"\b"), Operator.Word),
            (words(RESERVED, suffix=r"\b"), Keyword),
            (words(TYPES, suffix=r"\b"), Keyword.Type),
            (r"[A-Z]\w*\b", Name.Class),
            (NAME, Name),
            (r"\*\*=?|//=?|<<=?|>>=?|->|[-+*/%&|^<>=!]=|[-+*/%&|^~<>=]", Operator),
            (r"[()\[\]{},:.;?@]", Punctuation),
            (r"\r", Whitespace),
        ],
        "numbers": [
            (r"(?:(?:\d(?:_?\d)*)?\.\d(?:_?\d)*|\d(?:_?\d)*\.)(?:[eE][-+]?\d(?:_?\d)*)?", Number.Float),
            (r"\d(?:_?\d)*[eE][-+]?\d(?:_?\d)*", Number.Float),
            (r"0[xX](?:_?[0-9a-fA-F])+", Number.Hex),
            (r"0[oO](?:_?[0-7])+", Number.Oct),
            (r"0[bB](?:_?[01])+", Number.Bin),
            (r"\d(?:_?\d)*", Number.Integer),
        ],
        "strings": [
            (r'(?i:rf|fr)"""', String.Affix, "tdq-rf"),
            (r"(?i:rf|fr)'''", String.Affix, "tsq-rf"),
            (r'(?i:rf|fr)"', String.Affix, "dq-rf"),
            (r"(?i:rf|fr)'", String.Affix, "sq-rf"),
            (r'(?i:f)"""', String.Affix, "tdq-f"),
            (r"(?i:f)'''", String.Affix, "tsq-f"),
            (r'(?i:f)"', String.Affix, "dq-f"),
            (r"(?i:f)'", String.Affix, "sq-f"),
            (r'(?i:r|re|rb|br)"""', String.Affix, "tdq-raw"),
            (r"(?i:r|re|rb|br)'''", String.Affix, "tsq-raw"),
            (r'(?i:r|re|rb|br)"', String.Affix, "dq-raw"),
            (r"(?i:r|re|rb|br)'", String.Affix, "sq-raw"),
            (r'(?i:u|b)?"""', String, "tdq"),
            (r"(?i:u|b)?'''", String, "tsq"),
            (r'(?i:u|b)?"', String, "dq"),
            (r"(?i:u|b)?'", String, "sq"),
        ],
        "escape": [
            (r'\\(?:[\\\'"abfnrtv\n]|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|N\{[^}\n]+\}|[0-7]{1,3})',
             String.Escape),
            (r"\\.", String),  # an unknown escape is kept as written, as in Python
        ],
        "fstring-field": [
            (r"\}", String.Interpol, "#pop"),
            (r"![rs](?=[:}])", String.Interpol),
            (r"(:)([^{}\n]*)", bygroups(String.Interpol, String.Interpol)),
            (r"!=", Operator),
            include("fstring-nested"),
        ],
        # Inside brackets of a field a `:` is code (a lambda, a slice), not the start of a spec.
        "fstring-nested": [
            (r"\{", Punctuation, "fstring-braces"),
            (r"\(", Punctuation, "fstring-parens"),
            (r"\[", Punctuation, "fstring-brackets"),
            include("code"),
        ],
        "fstring-braces": [(r"\}", Punctuation, "#pop"), include("fstring-nested")],
        "fstring-parens": [(r"\)", Punctuation, "#pop"), include("fstring-nested")],
        "fstring-brackets": [(r"\]", Punctuation, "#pop"), include("fstring-nested")],
        **_string_states('"""', "tdq"),
        **_string_states("'''", "tsq"),
        **_string_states('"', "dq"),
        **_string_states("'", "sq"),
    }


"""String escapes parse by one rule whatever the host's warning filters: Python's escapes are
decoded, and an escape Python does not know (`\\d`) is kept as written, as CPython 3.11 keeps it
(spec/lexical.md)."""

from __future__ import annotations

import ast as pyast
import subprocess
import sys
import warnings

from hypothesis import given
from hypothesis import strategies as st

import seglam_lang
from seglam_lang.syntax.parser import keep_unknown_escapes

_TEXT = st.text(alphabet='ab\\dq"\'nt0x4N{}uU\n', max_size=12)


@given(_TEXT)
def test_unknown_escapes_are_kept_as_python_311_keeps_them(text: str) -> None:
    literal = '"""' + text.replace('"', "'") + ' """'
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            legacy = pyast.literal_eval(literal)
        except (SyntaxError, ValueError):
            return  # a malformed escape (`\x`, `\N{}`) is an error either way
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning is left to decide anything
        assert pyast.literal_eval('"""' + keep_unknown_escapes(literal[3:-3]) + '"""') == legacy


def test_a_program_with_an_unknown_escape_parses_the_same_under_warnings_as_errors() -> None:
    source = 'proc f() -> Str:\n    return "a\\d" + f"\\w{1}"\n'
    assert seglam_lang.loads(source).call("f") == "a\\d\\w1"
    out = subprocess.run([sys.executable, "-W", "error", "-c",
                          f"import seglam_lang; print(seglam_lang.loads({source!r}).call('f'))"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "a\\d\\w1", out.stderr

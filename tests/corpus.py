"""The one format of the test corpora: files of cases, each SGL source with its expectations.

A corpus file (`corpus/*.txt`, beside the tests of the layer it exercises: syntax, check
(triggers included), runtime, verify) holds cases. A case starts at a header line
`=== name` (flags such as `[py]` may follow the name) and runs to the next header; lines
before the first header are comments.
Inside a case:
- `--- key: value` lines, after the source, are the case's fields: `error: CODE [at
  LINE:COL] ["message"]`, `hint: "text"` (JSON strings), `call: expr`, `expect: literal`;
- every other line is source, numbered from 1 at the line after the header, so positions
  in a case read as in a file of its own;
- a source line may end with `# error: CODE [CODE...]`, the diagnostics expected on that
  line; an own line `# hint: text` or `# message: text` after it says what that line's
  hint or message must contain.
Each harness says which fields and notes its layer uses.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from seglam_lang.frozen import frozen

HEADER = re.compile(r"^=== (?P<name>.+?)(?P<flags>(?:\s+\[\w+\])*)\s*$")
FIELD = re.compile(r"^--- (?P<key>[a-z]+): (?P<value>.*)$")
LINE_ERROR = re.compile(r"#\s*error:\s*((?:E\d{4}\s*)+)")
NOTE = re.compile(r"^\s*#\s*(hint|message):\s*(.+?)\s*$")
ERROR_FIELD = re.compile(r'^(?P<code>E\d{4})(?: at (?P<line>\d+):(?P<col>\d+))?(?: (?P<message>".*"))?$')


@frozen
class Case:
    file: str
    line: int  # of the header, in the file
    name: str
    flags: frozenset[str]
    source: str
    fields: dict[str, str]
    line_errors: list[tuple[int, str]]  # (line in the case, code), sorted
    hints: dict[int, str]
    messages: dict[int, str]

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.name}"

    def error(self) -> tuple[str, int | None, int | None, str | None] | None:
        """The `error` field: (code, line, col, message), position and message optional."""
        if "error" not in self.fields:
            return None
        m = ERROR_FIELD.match(self.fields["error"])
        if m is None:
            raise ValueError(f"{self}: bad error field {self.fields['error']!r}")
        line, col = (int(m["line"]), int(m["col"])) if m["line"] else (None, None)
        return m["code"], line, col, json.loads(m["message"]) if m["message"] else None

    def hint(self) -> str | None:
        return json.loads(self.fields["hint"]) if "hint" in self.fields else None


def read(path: Path) -> list[Case]:
    """The cases of one corpus file; ValueError (with file and line) when it is malformed."""
    cases: list[Case] = []
    lines = path.read_text(encoding="utf-8").split("\n")
    i = 0
    while i < len(lines) and not HEADER.match(lines[i]):
        if lines[i].strip() and not lines[i].startswith("#"):
            raise ValueError(f"{path.name}:{i + 1}: text outside a case: {lines[i]!r}")
        i += 1
    while i < len(lines):
        header = HEADER.match(lines[i])
        assert header is not None
        start = i + 1
        i += 1
        body: list[str] = []
        fields: dict[str, str] = {}
        while i < len(lines) and not HEADER.match(lines[i]):
            field = FIELD.match(lines[i])
            if field:
                fields[field["key"]] = field["value"].strip()
            elif fields and lines[i].strip():
                raise ValueError(f"{path.name}:{i + 1}: source after the case's fields")
            elif not fields:
                body.append(lines[i])
            i += 1
        while body and not body[-1].strip():
            body.pop()
        errors: list[tuple[int, str]] = []
        notes: dict[str, dict[int, str]] = {"hint": {}, "message": {}}
        last = 0
        for n, text in enumerate(body, start=1):
            m = LINE_ERROR.search(text)
            if m:
                errors.extend((n, code) for code in m.group(1).split())
                last = n
            note = NOTE.match(text)
            if note and last:
                notes[note.group(1)][last] = note.group(2)
        flags = frozenset(re.findall(r"\[(\w+)\]", header["flags"]))
        cases.append(Case(path.name, start, header["name"], flags, "\n".join(body) + "\n", fields,
                          sorted(errors), notes["hint"], notes["message"]))
    return cases


def read_all(folder: Path) -> list[Case]:
    """Every case of every `*.txt` file of `folder`, in file order."""
    return [c for p in sorted(folder.glob("*.txt")) for c in read(p)]

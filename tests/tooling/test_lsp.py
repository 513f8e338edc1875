"""`sgl lsp`: a real server process spoken to in JSON-RPC over its pipes.

Each feature is checked on a document with known answers: diagnostics on open and after a
change (debounced: a burst of changes gives one analysis of the last text), hover, go to
definition (in the file and into the stdlib), completion (names in scope, members of a
module, fields and methods of a receiver's type), formatting, document symbols, rename,
and the code action that applies a hint's fix. The latency from a change to its
diagnostics on the largest stdlib file is measured and bounded."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pygls", reason="the `lsp` extra is not installed (pip install '.[lsp]')")
pytest.importorskip("lsprotocol", reason="the `lsp` extra is not installed (pip install '.[lsp]')")

REPO = Path(__file__).resolve().parents[2]
SGL = str(Path(sys.executable).parent / "sgl")
TIMEOUT = 120.0


class Client:
    """A minimal LSP client: Content-Length framed JSON-RPC over a process's pipes."""

    def __init__(self, *argv: str) -> None:
        self.proc = subprocess.Popen([SGL, "lsp", *argv], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.next_id = 0
        self.responses: dict[int, Any] = {}
        self.notifications: queue.Queue[dict[str, Any]] = queue.Queue()
        self.lock = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            headers = {}
            while True:
                line = out.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                key, _, value = line.decode().partition(":")
                headers[key.strip().lower()] = value.strip()
            body = json.loads(out.read(int(headers["content-length"])))
            if "id" in body and "method" not in body:
                with self.lock:
                    self.responses[body["id"]] = body
                    self.lock.notify_all()
            elif "method" in body and "id" in body:  # a request from the server: accept it
                self._send({"jsonrpc": "2.0", "id": body["id"], "result": None})
            else:
                self.notifications.put(body)

    def _send(self, message: dict[str, Any]) -> None:
        data = json.dumps(message).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(data) + data)
        self.proc.stdin.flush()

    def request(self, method: str, params: Any) -> Any:
        self.next_id += 1
        rid = self.next_id
        self._send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        with self.lock:
            if not self.lock.wait_for(lambda: rid in self.responses, timeout=TIMEOUT):
                raise TimeoutError(f"no answer to {method}")
            response = self.responses.pop(rid)
        if "error" in response:
            raise LspError(response["error"]["message"])
        return response["result"]

    def notify(self, method: str, params: Any) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def diagnostics(self, uri: str, timeout: float = TIMEOUT) -> list[dict[str, Any]]:
        """The next diagnostics published for `uri`."""
        end = time.monotonic() + timeout
        while True:
            message = self.notifications.get(timeout=max(end - time.monotonic(), 0.01))
            if message["method"] == "textDocument/publishDiagnostics" and message["params"]["uri"] == uri:
                return message["params"]["diagnostics"]

    def close(self) -> None:
        try:
            self.request("shutdown", None)
            self.notify("exit", None)
            self.proc.wait(timeout=30)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
                if stream is not None:
                    stream.close()


class LspError(Exception):
    pass


DOC = '''use std.math

record Item:
    """One line of a basket."""
    name: Str
    qty: Int = 1

RATE = 2

@when("total of {items}")
proc total(items: List[Item]) -> Int:
    """Sum of quantities, times the rate."""
    t = 0
    for it in items:
        t += it.qty * RATE
    return t + math.gcd(4, 6) - 2

example total([Item(name="a")]) == 2
'''


@pytest.fixture(scope="module")
def client() -> Any:
    c = Client()
    c.request("initialize", {"processId": os.getpid(), "rootUri": None, "capabilities": {}})
    c.notify("initialized", {})
    yield c
    c.close()


def open_doc(client: Client, path: Path, text: str) -> str:
    uri = path.as_uri()
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "sgl", "version": 1,
                                                            "text": text}})
    return uri


def at(line: int, character: int) -> dict[str, int]:
    """A protocol position (0-based)."""
    return {"line": line, "character": character}


@pytest.fixture(scope="module")
def doc(client: Client, tmp_path_factory: pytest.TempPathFactory) -> str:
    uri = open_doc(client, tmp_path_factory.mktemp("lsp") / "basket.sgl", DOC)
    assert client.diagnostics(uri) == []
    return uri


def test_diagnostics_on_open_carry_code_hint_and_position(client: Client, tmp_path: Path) -> None:
    uri = open_doc(client, tmp_path / "typo.sgl", "proc f(xs: List[Int]) -> Int:\n    total = 0\n    return totl\n")
    (d,) = client.diagnostics(uri)
    assert d["code"] == "E0201" and d["source"] == "sgl" and d["severity"] == 1
    assert d["range"] == {"start": at(2, 11), "end": at(2, 15)}
    assert "unknown name" in d["message"] and "hint: did you mean `total`?" in d["message"]
    syntax = open_doc(client, tmp_path / "syntax.sgl", "proc f() -> Int:\n    return (1\n")
    (s,) = client.diagnostics(syntax)
    assert s["code"].startswith("E01")


def test_changes_are_debounced_and_the_last_text_is_analysed(client: Client, tmp_path: Path) -> None:
    uri = open_doc(client, tmp_path / "edit.sgl", "proc f() -> Int:\n    return 1\n")
    assert client.diagnostics(uri) == []
    for version, word in enumerate(["nope1", "nope2", "nope3"], start=2):
        client.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"range": {"start": at(1, 11), "end": at(1, 16 if version > 2 else 12)},
                                "text": word}]})
    (d,) = client.diagnostics(uri)
    assert "`nope3`" in d["message"]
    with pytest.raises(queue.Empty):  # one publication for the burst, not three
        client.diagnostics(uri, timeout=1.0)


def hover_text(client: Client, uri: str, line: int, character: int) -> str:
    result = client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": at(line, character)})
    return result["contents"]["value"] if result else ""


def test_hover_signatures_docstrings_and_types(client: Client, doc: str) -> None:
    on_call = hover_text(client, doc, 17, 9)  # `total` in the example
    assert "proc total(items: List[Item]) -> Int" in on_call and "Sum of quantities" in on_call
    assert '@when("total of {items}")' in on_call
    assert "record Item" in hover_text(client, doc, 10, 25) and "One line of a basket" in hover_text(client, doc, 10, 25)
    assert "t: Int" in hover_text(client, doc, 12, 4)
    assert "qty: Int" in hover_text(client, doc, 14, 17)
    assert "RATE: Int = 2" in hover_text(client, doc, 14, 23)
    assert "std.math.gcd(a: Int, b: Int) -> Int" in hover_text(client, doc, 15, 21)
    assert "(parameter) items: List[Item]" in hover_text(client, doc, 10, 12)
    assert "len(" in hover_text_of(client, "proc f(xs: List[Int]) -> Int:\n    return len(xs)\n", 1, 12)
    assert hover_text(client, doc, 11, 0) == ""  # nothing under the cursor: no hover


def hover_text_of(client: Client, text: str, line: int, character: int) -> str:
    uri = open_doc(client, Path(f"/tmp/sgl-hover-{abs(hash(text))}.sgl"), text)
    client.diagnostics(uri)
    return hover_text(client, uri, line, character)


def definition(client: Client, uri: str, line: int, character: int) -> dict[str, Any] | None:
    return client.request("textDocument/definition", {"textDocument": {"uri": uri}, "position": at(line, character)})


def test_go_to_definition(client: Client, doc: str) -> None:
    assert definition(client, doc, 17, 9)["range"]["start"] == at(10, 5)  # proc total
    assert definition(client, doc, 14, 23)["range"]["start"] == at(7, 0)  # RATE
    assert definition(client, doc, 15, 11)["range"]["start"] == at(12, 4)  # local t
    assert definition(client, doc, 14, 14)["range"]["start"] == at(13, 8)  # loop variable it
    assert definition(client, doc, 14, 17)["range"]["start"] == at(5, 4)  # field qty
    assert definition(client, doc, 10, 25)["range"]["start"] == at(2, 7)  # record Item in an annotation
    into_stdlib = definition(client, doc, 15, 21)  # math.gcd, written in SGL
    assert into_stdlib["uri"].endswith("/math.sgl")
    line = Path(into_stdlib["uri"].removeprefix("file://")).read_text().split("\n")[into_stdlib["range"]["start"]["line"]]
    assert line.startswith("proc gcd(")
    assert definition(client, doc, 15, 16)["uri"].endswith("/math.sgl")  # the module itself
    assert definition(client, doc, 11, 0) is None


def labels(client: Client, uri: str, line: int, character: int) -> set[str]:
    result = client.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": at(line, character)})
    return {item["label"] for item in result["items"]}


def test_completion_in_scope_members_fields_and_methods(client: Client, tmp_path: Path) -> None:
    uri = open_doc(client, tmp_path / "complete.sgl", DOC)
    client.diagnostics(uri)
    in_scope = labels(client, uri, 15, 4)
    assert {"total", "Item", "RATE", "math", "t", "it", "items", "len", "sorted", "List", "return"} <= in_scope
    # Typing `math.` (the text does not parse now): members of the used module.
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
        {"range": {"start": at(15, 15), "end": at(15, 33)}, "text": "math."}]})
    assert {"gcd", "floor", "sqrt", "is_prime"} <= labels(client, uri, 15, 20)
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 3}, "contentChanges": [
        {"range": {"start": at(14, 13), "end": at(14, 24)}, "text": "it."}]})
    assert labels(client, uri, 14, 16) >= {"name", "qty", "replace"}
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 4}, "contentChanges": [
        {"range": {"start": at(14, 13), "end": at(14, 16)}, "text": "it.name."}]})
    assert {"upper", "split", "startswith"} <= labels(client, uri, 14, 21)


def test_formatting_is_sgl_fmt(client: Client, tmp_path: Path) -> None:
    from seglam_lang.syntax.format import format_source

    ugly = "proc   f( x:Int )->Int :\n    return x+1\n"
    uri = open_doc(client, tmp_path / "ugly.sgl", ugly)
    client.diagnostics(uri)
    (edit,) = client.request("textDocument/formatting", {"textDocument": {"uri": uri},
                                                         "options": {"tabSize": 4, "insertSpaces": True}})
    assert edit["newText"] == format_source(ugly)
    assert edit["range"]["start"] == at(0, 0)
    broken = open_doc(client, tmp_path / "broken.sgl", "proc f(:\n")
    client.diagnostics(broken)
    assert client.request("textDocument/formatting", {"textDocument": {"uri": broken},
                                                      "options": {"tabSize": 4, "insertSpaces": True}}) is None


def test_document_symbols(client: Client, doc: str) -> None:
    result = client.request("textDocument/documentSymbol", {"textDocument": {"uri": doc}})
    names = [(s["name"], s["kind"]) for s in result]
    assert names[:4] == [("math", 2), ("Item", 23), ("RATE", 14), ("total", 12)]
    item = result[1]
    assert [c["name"] for c in item["children"]] == ["name", "qty"]
    assert result[3]["selectionRange"]["start"] == at(10, 5)


def apply(text: str, edits: list[dict[str, Any]]) -> str:
    lines = text.split("\n")
    for e in sorted(edits, key=lambda e: (e["range"]["start"]["line"], e["range"]["start"]["character"]),
                    reverse=True):
        s, t = e["range"]["start"], e["range"]["end"]
        assert s["line"] == t["line"]
        line = lines[s["line"]]
        lines[s["line"]] = line[:s["character"]] + e["newText"] + line[t["character"]:]
    return "\n".join(lines)


def test_rename_local_parameter_and_proc(client: Client, tmp_path: Path) -> None:
    from seglam_lang import loads

    uri = open_doc(client, tmp_path / "rename.sgl", DOC)
    client.diagnostics(uri)

    def rename(line: int, character: int, new: str) -> str:
        result = client.request("textDocument/rename", {"textDocument": {"uri": uri}, "position": at(line, character),
                                                        "newName": new})
        return apply(DOC, result["changes"][uri])

    renamed = rename(12, 4, "acc")
    assert "acc = 0" in renamed and "acc += it.qty" in renamed and "return acc +" in renamed
    renamed = rename(10, 12, "lines")  # the parameter: its trigger slot follows
    assert '@when("total of {lines}")' in renamed and "for it in lines:" in renamed
    renamed = rename(10, 6, "grand_total")
    assert "proc grand_total(" in renamed and "example grand_total([" in renamed
    for text in (rename(12, 4, "acc"), rename(10, 12, "lines"), rename(10, 6, "grand_total"), rename(2, 8, "Line")):
        assert loads(text).examples[0].run().passed  # still checks, still passes
    with pytest.raises(LspError, match="not a valid name"):
        rename(12, 4, "class")
    prepared = client.request("textDocument/prepareRename", {"textDocument": {"uri": uri}, "position": at(12, 4)})
    assert prepared == {"start": at(12, 4), "end": at(12, 5)}


def test_code_action_applies_the_hints_fix(client: Client, tmp_path: Path) -> None:
    text = "proc f(xs: List[Int]) -> Int:\n    return lenn(xs)\n"
    uri = open_doc(client, tmp_path / "fix.sgl", text)
    (d,) = client.diagnostics(uri)
    actions = client.request("textDocument/codeAction", {"textDocument": {"uri": uri}, "range": d["range"],
                                                         "context": {"diagnostics": [d]}})
    (action,) = actions
    assert action["title"] == "Replace with `len`" and action["kind"] == "quickfix"
    fixed = apply(text, action["edit"]["changes"][uri])
    assert fixed == "proc f(xs: List[Int]) -> Int:\n    return len(xs)\n"


def test_non_ascii_positions_are_utf16(client: Client, tmp_path: Path) -> None:
    text = 'proc f() -> Str:\n    s = "😀😀"\n    return s + nope\n'
    uri = open_doc(client, tmp_path / "emoji.sgl", text)
    (d,) = client.diagnostics(uri)
    assert d["range"]["start"] == at(2, 15)
    text2 = 'proc f() -> Str:\n    return "😀" + nope\n'
    uri2 = open_doc(client, tmp_path / "emoji2.sgl", text2)
    (d2,) = client.diagnostics(uri2)
    assert d2["range"]["start"] == at(1, 18)  # the emoji is two UTF-16 units


def test_change_to_diagnostics_latency_on_the_largest_stdlib_file(client: Client, tmp_path: Path) -> None:
    largest = max((REPO / "stdlib").glob("*.sgl"), key=lambda p: p.stat().st_size)
    text = largest.read_text(encoding="utf-8")
    uri = open_doc(client, tmp_path / largest.name, text)
    assert [d for d in client.diagnostics(uri) if d["severity"] == 1] == []
    times = []
    last = len(text.split("\n")) - 1
    for version in range(2, 6):
        t0 = time.perf_counter()
        client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": [
            {"range": {"start": at(last, 0), "end": at(last, 0)}, "text": f"BROKEN_{version} = nope\n"}]})
        found = client.diagnostics(uri)
        times.append(time.perf_counter() - t0)
        assert any("nope" in d["message"] for d in found)
    median = sorted(times)[len(times) // 2]
    print(f"\nlsp change->diagnostics on {largest.name} ({len(text.splitlines())} lines): "
          f"median {median * 1000:.0f} ms (debounce {150} ms)")
    assert median < 10.0


def test_without_the_extra_the_command_says_what_to_install(tmp_path: Path) -> None:
    """A Python where pygls cannot be imported: a one-line message and exit 2."""
    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / "pygls.py").write_text("raise ImportError('blocked for the test')\n")
    (blocker / "sitecustomize.py").write_text(
        "import importlib.util, sys\n"
        "real = importlib.util.find_spec\n"
        "importlib.util.find_spec = lambda name, *a: None if name in ('pygls', 'lsprotocol') else real(name, *a)\n")
    out = subprocess.run([sys.executable, "-c", "from seglam_lang.cli import main; main(['lsp'])"],
                         capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(blocker)})
    assert out.returncode == 2
    assert out.stderr.strip() == "sgl: `sgl lsp` needs pygls and lsprotocol: pip install 'seglam-lang[lsp]'"

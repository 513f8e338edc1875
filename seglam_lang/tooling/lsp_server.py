"""The SGL language server (pygls 2, lsprotocol) behind `sgl lsp`, on stdio.

Owns: the protocol side of the editor features: publishing diagnostics on open and on
change (debounced), hover, go to definition, completion, formatting, document symbols,
rename, and code actions that apply a hint's fix; converting SGL positions (1-based,
characters) to the protocol's (0-based, in the negotiated encoding). What each answer
says comes from `seglam_lang.tooling.analysis`.

Invariants:
- a request on a document that does not parse answers what it can (completion uses the
  last version that checked) and never fails the server; a bug in one request is logged
  and answered empty, the server keeps serving;
- diagnostics are published for the latest text only: a change that is followed by
  another within `DEBOUNCE` seconds is not analysed on its own;
- formatting is `sgl fmt`'s layout, and a document that does not parse is left as it is.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from lsprotocol import types as T
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path

from seglam_lang.errors import Diagnostic, Span
from seglam_lang.tooling import analysis as A

DEBOUNCE = 0.15  # seconds of quiet after a change before it is analysed
log = logging.getLogger("sgl.lsp")

_SEVERITY = {"error": T.DiagnosticSeverity.Error, "warning": T.DiagnosticSeverity.Warning}
_COMPLETION_KIND = {
    "function": T.CompletionItemKind.Function, "record": T.CompletionItemKind.Struct,
    "constant": T.CompletionItemKind.Constant, "module": T.CompletionItemKind.Module,
    "variable": T.CompletionItemKind.Variable, "keyword": T.CompletionItemKind.Keyword,
    "method": T.CompletionItemKind.Method, "field": T.CompletionItemKind.Field, "type": T.CompletionItemKind.Class,
}
_SYMBOL_KIND = {
    "function": T.SymbolKind.Function, "record": T.SymbolKind.Struct, "constant": T.SymbolKind.Constant,
    "module": T.SymbolKind.Module, "property": T.SymbolKind.Method, "field": T.SymbolKind.Field,
    "example": T.SymbolKind.Event,
}


def uri_to_path(uri: str) -> str:
    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.scheme == "file" else uri


class SglServer(LanguageServer):
    """Keeps, per document, its latest analysis and the latest one that checked."""

    def __init__(self) -> None:
        from importlib.metadata import version

        super().__init__("sgl", version("seglam-lang"), text_document_sync_kind=T.TextDocumentSyncKind.Incremental)
        self.analyses: dict[str, A.Analysis] = {}
        self.good: dict[str, A.Analysis] = {}
        self.pending: dict[str, object] = {}

    def analyse(self, uri: str) -> A.Analysis:
        doc = self.workspace.get_text_document(uri)
        current = self.analyses.get(uri)
        if current is not None and current.text == doc.source:
            return current
        result = A.analyze(doc.source, uri_to_path(uri))
        self.analyses[uri] = result
        if result.checked is not None:
            self.good[uri] = result
        return result

    def publish(self, uri: str) -> None:
        a = self.analyse(uri)
        lines = a.text.split("\n")
        diagnostics = [self.diagnostic(d, lines) for d in a.diagnostics if d.file in (a.file, "<input>")]
        # A used stdlib module that fails to load is reported at the top of this file.
        diagnostics += [T.Diagnostic(range=T.Range(T.Position(0, 0), T.Position(0, 0)), message=d.headline(),
                                     severity=T.DiagnosticSeverity.Error, code=d.code, source="sgl")
                        for d in a.diagnostics if d.file not in (a.file, "<input>")]
        self.text_document_publish_diagnostics(T.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics))

    def to_range(self, span: Span, lines: list[str]) -> T.Range:
        """An SGL span (1-based, characters) as a protocol range in the client's units."""
        if span.line == 0:
            return T.Range(T.Position(0, 0), T.Position(0, 0))
        start = T.Position(span.line - 1, max(span.col - 1, 0))
        end = T.Position(max(span.end_line - 1, span.line - 1), max(span.end_col - 1, 0))
        return self.workspace.position_codec.range_to_client_units(lines, T.Range(start, end))

    def to_sgl(self, uri: str, position: T.Position) -> tuple[int, int]:
        doc = self.workspace.get_text_document(uri)
        p = doc.position_codec.position_from_client_units(doc.lines, position)
        return p.line + 1, p.character + 1

    def diagnostic(self, d: Diagnostic, lines: list[str]) -> T.Diagnostic:
        message = d.message + (f"\nhint: {d.hint}" if d.hint else "")
        return T.Diagnostic(range=self.to_range(d.span, lines), message=message, code=d.code, source="sgl",
                            severity=_SEVERITY.get(d.severity, T.DiagnosticSeverity.Error),
                            data={"fix": A.suggested_fix(d)} if A.suggested_fix(d) else None)


server = SglServer()


def _guarded(default: Any) -> Any:
    """A request handler that logs a bug and answers `default` instead of failing the server."""

    def wrap(fn: Any) -> Any:
        def handler(ls: SglServer, params: Any) -> Any:
            try:
                return fn(ls, params)
            except Exception:
                log.exception("sgl lsp: %s failed", fn.__name__)
                return default

        handler.__name__ = fn.__name__
        return handler

    return wrap


@server.feature(T.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: SglServer, params: T.DidOpenTextDocumentParams) -> None:
    ls.publish(params.text_document.uri)


@server.feature(T.TEXT_DOCUMENT_DID_CHANGE)
async def did_change(ls: SglServer, params: T.DidChangeTextDocumentParams) -> None:
    uri = params.text_document.uri
    token = object()
    ls.pending[uri] = token
    await asyncio.sleep(DEBOUNCE)
    if ls.pending.get(uri) is token:
        del ls.pending[uri]
        ls.publish(uri)


@server.feature(T.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: SglServer, params: T.DidSaveTextDocumentParams) -> None:
    ls.publish(params.text_document.uri)


@server.feature(T.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: SglServer, params: T.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    for table in (ls.analyses, ls.good, ls.pending):
        table.pop(uri, None)
    ls.text_document_publish_diagnostics(T.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


@server.feature(T.TEXT_DOCUMENT_HOVER)
@_guarded(None)
def hover(ls: SglServer, params: T.HoverParams) -> T.Hover | None:
    uri = params.text_document.uri
    a = ls.analyse(uri)
    found = A.hover(a, *ls.to_sgl(uri, params.position))
    if found is None:
        return None
    text, span = found
    return T.Hover(contents=T.MarkupContent(kind=T.MarkupKind.Markdown, value=text),
                   range=ls.to_range(span, a.text.split("\n")))


@server.feature(T.TEXT_DOCUMENT_DEFINITION)
@_guarded(None)
def definition(ls: SglServer, params: T.DefinitionParams) -> T.Location | None:
    uri = params.text_document.uri
    a = ls.analyse(uri)
    loc = A.definition(a, *ls.to_sgl(uri, params.position))
    if loc is None:
        return None
    if loc.file == a.file:
        return T.Location(uri=uri, range=ls.to_range(loc.span, a.text.split("\n")))
    lines = Path(loc.file).read_text(encoding="utf-8").split("\n")
    return T.Location(uri=from_fs_path(str(Path(loc.file).resolve())) or loc.file, range=ls.to_range(loc.span, lines))


@server.feature(T.TEXT_DOCUMENT_COMPLETION, T.CompletionOptions(trigger_characters=["."]))
@_guarded(None)
def completion(ls: SglServer, params: T.CompletionParams) -> T.CompletionList:
    uri = params.text_document.uri
    doc = ls.workspace.get_text_document(uri)
    ls.analyse(uri)
    items = [T.CompletionItem(label=c.label, kind=_COMPLETION_KIND.get(c.kind), detail=c.detail or None,
                              documentation=c.doc or None)
             for c in A.completions(ls.good.get(uri), doc.source, *ls.to_sgl(uri, params.position))]
    return T.CompletionList(is_incomplete=False, items=items)


@server.feature(T.TEXT_DOCUMENT_FORMATTING)
@_guarded(None)
def formatting(ls: SglServer, params: T.DocumentFormattingParams) -> list[T.TextEdit] | None:
    from seglam_lang.errors import SglError
    from seglam_lang.syntax.format import format_source

    doc = ls.workspace.get_text_document(params.text_document.uri)
    try:
        formatted = format_source(doc.source, uri_to_path(params.text_document.uri))
    except SglError:
        return None  # the diagnostics already say why
    if formatted == doc.source:
        return []
    lines = doc.source.split("\n")
    end = ls.workspace.position_codec.position_to_client_units(lines, T.Position(len(lines) - 1, len(lines[-1])))
    return [T.TextEdit(range=T.Range(T.Position(0, 0), end), new_text=formatted)]


@server.feature(T.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
@_guarded(None)
def document_symbols(ls: SglServer, params: T.DocumentSymbolParams) -> list[T.DocumentSymbol]:
    a = ls.analyse(params.text_document.uri)
    lines = a.text.split("\n")

    def convert(s: A.Symbol) -> T.DocumentSymbol:
        return T.DocumentSymbol(name=s.name, kind=_SYMBOL_KIND[s.kind], range=ls.to_range(s.span, lines),
                                selection_range=ls.to_range(s.selection, lines), detail=s.detail or None,
                                children=[convert(c) for c in s.children] or None)

    return [convert(s) for s in A.symbols(a)]


@server.feature(T.TEXT_DOCUMENT_PREPARE_RENAME)
@_guarded(None)
def prepare_rename(ls: SglServer, params: T.PrepareRenameParams) -> T.Range | None:
    uri = params.text_document.uri
    a = ls.analyse(uri)
    line, col = ls.to_sgl(uri, params.position)
    spans = A.rename(a, line, col, "x")
    if isinstance(spans, str):
        return None
    here = next((s for s in spans if A.contains(s, line, col)), None)
    return ls.to_range(here, a.text.split("\n")) if here is not None else None


@server.feature(T.TEXT_DOCUMENT_RENAME)
def rename(ls: SglServer, params: T.RenameParams) -> T.WorkspaceEdit | None:
    from pygls.exceptions import JsonRpcInvalidParams

    uri = params.text_document.uri
    a = ls.analyse(uri)
    spans = A.rename(a, *ls.to_sgl(uri, params.position), params.new_name)
    if isinstance(spans, str):
        raise JsonRpcInvalidParams(spans)
    lines = a.text.split("\n")
    edits = [T.TextEdit(range=ls.to_range(s, lines), new_text=params.new_name) for s in spans]
    return T.WorkspaceEdit(changes={uri: edits})


@server.feature(T.TEXT_DOCUMENT_CODE_ACTION,
                T.CodeActionOptions(code_action_kinds=[T.CodeActionKind.QuickFix]))
@_guarded(None)
def code_actions(ls: SglServer, params: T.CodeActionParams) -> list[T.CodeAction]:
    uri = params.text_document.uri
    a = ls.analyse(uri)
    lines = a.text.split("\n")
    out = []
    for d in a.diagnostics:
        fix = A.suggested_fix(d)
        if fix is None or d.span.line == 0:
            continue
        where = ls.to_range(d.span, lines)
        if where.end.line < params.range.start.line or where.start.line > params.range.end.line:
            continue
        out.append(T.CodeAction(
            title=f"Replace with `{fix}`", kind=T.CodeActionKind.QuickFix, is_preferred=True,
            diagnostics=[ls.diagnostic(d, lines)],
            edit=T.WorkspaceEdit(changes={uri: [T.TextEdit(range=where, new_text=fix)]})))
    return out


def serve() -> None:
    """Run the server on stdin/stdout until the client says exit."""
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    server.start_io()

"""Over-broad in fact: the requests a new version's triggers would take that are not theirs.

Owns `unrelated_requests()` (the shipped corpus `unrelated_requests.json`: knowledge,
opinion, writing and chat requests, and BIG-Bench Hard questions that need world
knowledge) and `taken(module, rows, requests, limits)`: which of the given requests the
module would answer. The cache runs it before a version is stored (`add`, `replace`, a
compile, `verify`) on the shipped corpus and on recent logged requests that other
families answered or that were declined; any request taken is a refusal (the rule is in
spec/triggers.md, "Specific in fact").

Invariants: "taken" means a real hit of the module alone (a trigger matches, every slot
reads, the `require`s hold, the run ends under the cache's limits), so a trigger that
merely shares words with a request is not blamed; every run is bounded by `limits`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from seglam_lang.cache.index import TriggerRow
from seglam_lang.cache.matcher import Matcher, Trigger, TriggerIndex, decode_anchors
from seglam_lang.frozen import Factory, field, frozen
from seglam_lang.runtime.limits import Limits
from seglam_lang.syntax.trigger_templates import words

if TYPE_CHECKING:
    from seglam_lang.runtime.embedding import Module

_CORPUS = Path(__file__).with_name("unrelated_requests.json")


@frozen
class Request:
    text: str
    source: str  # what the request is, for the message: "a request family x answered", ...
    # Its words (as the index cuts them), computed once: most requests share no anchor
    # with a module's triggers, and are ruled out on these alone.
    words: frozenset[str] = field(default=Factory(lambda self: frozenset(words(self.text)),
                                                              takes_self=True), eq=False)


@frozen
class Taken:
    request: Request
    proc: str
    pattern: str
    is_regex: bool

    def describe(self, family: str) -> str:
        trigger = f"@when({'re' if self.is_regex else ''}{json.dumps(self.pattern, ensure_ascii=False)})"
        shown = self.request.text if len(self.request.text) <= 80 else self.request.text[:77] + "..."
        return (f"{family}.{self.proc} {trigger} is over-broad: it takes {json.dumps(shown, ensure_ascii=False)} "
                f"({self.request.source}); a trigger must match only its own kind of request")


@functools.cache
def unrelated_requests() -> tuple[Request, ...]:
    """The shipped corpus of requests no cached procedure should answer (loaded once)."""
    data = json.loads(_CORPUS.read_text(encoding="utf-8"))
    return tuple([Request(t, "an unrelated request shipped with SEGLAM") for t in data["general"]]
                 + [Request(t, "a BIG-Bench Hard question that needs world knowledge") for t in data["bbh"]])


def taken(module: Module, rows: Sequence[TriggerRow], requests: Iterable[Request], limits: Limits | None) -> list[Taken]:
    """The requests the module's triggers would answer (each with the trigger that took it)."""
    index = TriggerIndex(Trigger(r.family, r.proc, r.pattern, r.is_regex, decode_anchors(r.anchors)) for r in rows)
    matcher = Matcher(index, lambda _family: module, limits)
    found = []
    for request in requests:
        if not any(t.admits(request.words) for t in index.candidates(request.words)):
            continue
        hits = matcher.find(request.text).hits  # its own procs disagreeing is still taking the request
        if hits:
            hit = hits[0]
            is_regex = next(r.is_regex for r in rows if r.proc == hit.proc and r.pattern == hit.pattern)
            found.append(Taken(request, hit.proc, hit.pattern, is_regex))
    return found

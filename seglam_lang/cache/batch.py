"""Batch answering: many requests through one cache, in worker processes, results in input order.

    from seglam_lang.cache.batch import answer_many, read_requests
    with open("requests.jsonl", "rb") as f:
        for result in answer_many("my-cache", read_requests(f), jobs=4):
            print(result.to_json())

Owns: reading a batch (`read_requests`: one request per line, a JSON string or an object
`{"request": ..., "id": ...}`), `answer_many` (answering them with `jobs` worker processes) and
`BatchResult` (one line of output), with the outcome classes that decide `sgl batch`'s exit code.

Invariants:
- `answer_many` yields exactly one result per input item, in input order, whatever happens: a
  line that does not read, a request that fails, a worker process that dies (the request it
  was answering fails with that reason; a new worker takes over);
- each worker process opens the cache itself (`ReasoningCache(location)`) and builds its
  own compiler from the picklable `compiler` factory, so any store and any compiler the
  factory can build work; concurrent misses of one kind are compiled once by the cache's
  single flight, across the workers as across any processes;
- a result counts every LLM call its request caused in its worker, failed compiles included
  (a meter wraps the worker's compiler), so the fleet's total is the sum over results;
- a worker closes its cache before it exits (the store flushes what it buffers).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import queue
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any

from seglam_lang.cache.llm_protocol import CompileContext, Compiler, CompileRequest, CompileResult
from seglam_lang.codes import E_CACHE_MISS, E_INTERNAL, E_USAGE
from seglam_lang.errors import SglError
from seglam_lang.frozen import frozen

if TYPE_CHECKING:
    from seglam_lang.cache.reasoning_cache import ReasoningCache

# Outcomes of one request. The first three are answers; UNANSWERED is what `sgl ask` exits 4
# for (no procedure and no compiler, or procedures that disagree); FAILED is anything else.
HIT, COMPILED, DECLINED, UNANSWERED, FAILED = "hit", "compiled", "declined", "unanswered", "failed"

CompilerFactory = Callable[[], Compiler | None]


@frozen
class Request:
    """One line of a batch: its 1-based line number, the request text, and the caller's `id`
    (any JSON value, given back with the result), or `problem` when the line does not read."""

    line: int
    text: str | None
    id: Any = None
    problem: str | None = None


@frozen
class BatchResult:
    """The outcome of one request. `answer` is already JSON (`seglam_lang.runtime.convert.to_json`)."""

    line: int
    request: str | None
    outcome: str
    answer: Any = None
    procedure: str | None = None
    version: int | None = None
    llm_calls: int = 0
    error: str | None = None
    error_code: str | None = None
    id: Any = None

    @property
    def hit(self) -> bool:
        return self.outcome == HIT

    def to_json(self) -> dict[str, Any]:
        data = {"line": self.line, "request": self.request, "answer": self.answer, "hit": self.hit,
                "procedure": self.procedure, "version": self.version, "outcome": self.outcome,
                "llm_calls": self.llm_calls, "error": self.error, "error_code": self.error_code}
        return data if self.id is None else {"id": self.id, **data}


# ---------------------------------------------------------------- reading a batch


def read_requests(stream: IO[bytes]) -> Iterator[Request]:
    """The requests of a JSONL stream, one per non-blank line; a line that does not read is
    a `Request` with a `problem` (never an exception), so the batch goes on."""
    for number, raw in enumerate(stream, 1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            yield Request(number, None, problem=f"line {number}: not UTF-8 (byte {e.start + 1})")
            continue
        if line.strip():
            yield parse_line(line, number)


def parse_line(line: str, number: int) -> Request:
    """One line of a batch: a JSON string, or an object with a string `request` and an optional `id`."""
    try:
        data = json.loads(line)
    except (json.JSONDecodeError, RecursionError) as e:
        where = f", column {e.colno}" if isinstance(e, json.JSONDecodeError) else ""
        return Request(number, None, problem=f"line {number}{where}: not JSON "
                                             '(a line is a JSON string or {"request": ...})')
    ident = None
    if isinstance(data, dict):
        unknown = sorted(set(data) - {"request", "id"})
        if unknown:
            return Request(number, None, problem=f"line {number}: unknown key {unknown[0]!r} (keys: request, id)")
        if "request" not in data:
            return Request(number, None, problem=f'line {number}: no "request" key')
        data, ident = data["request"], data.get("id")
    if not isinstance(data, str):
        return Request(number, None, ident, problem=f"line {number}: the request must be a string, "
                                                     f"not {type(data).__name__}")
    if not data.strip():
        return Request(number, data, ident, problem=f"line {number}: empty request")
    return Request(number, data, ident)


# ---------------------------------------------------------------- answering one request


class _Metered:
    """A worker's compiler, counting every LLM call it makes (failed compiles included)."""

    def __init__(self, compiler: Compiler) -> None:
        self._compiler = compiler
        self.llm_calls = 0

    def compile(self, request: CompileRequest, context: CompileContext) -> CompileResult:
        try:
            return self._compiler.compile(request, context)
        finally:
            self.llm_calls += context.meter.spent.llm_calls


def _answer_one(cache: ReasoningCache, meter: _Metered | None, request: Request) -> BatchResult:
    from seglam_lang.runtime.convert import to_json

    if request.problem is not None:
        return BatchResult(request.line, request.text, FAILED, error=request.problem, error_code=E_USAGE,
                           id=request.id)
    before = meter.llm_calls if meter is not None else 0
    spent = lambda: (meter.llm_calls if meter is not None else 0) - before  # noqa: E731
    try:
        answer = cache.ask(request.text)
        value = to_json(answer.value)
    except SglError as e:
        code = e.diagnostic.code
        return BatchResult(request.line, request.text, UNANSWERED if code == E_CACHE_MISS else FAILED,
                           llm_calls=spent(), error=str(e), error_code=code, id=request.id)
    except Exception as e:  # a bug: the batch goes on, the result says what happened
        return BatchResult(request.line, request.text, FAILED, llm_calls=spent(),
                           error=f"internal error: {type(e).__name__}: {e} (a bug in sgl)", error_code=E_INTERNAL,
                           id=request.id)
    outcome = HIT if answer.hit else COMPILED if answer.procedure is not None else DECLINED
    return BatchResult(request.line, request.text, outcome, value, answer.procedure, answer.version,
                       spent(), id=request.id)


def _open(location: str | os.PathLike[str], compiler: CompilerFactory | None,
          probation: int) -> tuple[ReasoningCache, _Metered | None]:
    from seglam_lang.cache.reasoning_cache import ReasoningCache

    built = compiler() if compiler is not None else None
    meter = _Metered(built) if built is not None else None
    return ReasoningCache(location, compiler=meter, probation=probation), meter


# ---------------------------------------------------------------- answering many


def answer_many(location: str | os.PathLike[str], requests: Iterable[Request | str], *, jobs: int = 1,
                compiler: CompilerFactory | None = None, probation: int = 0,
                on_result: Callable[[BatchResult], None] | None = None) -> Iterator[BatchResult]:
    """Answer `requests` through the cache at `location` with `jobs` worker processes (1: in
    this process) and yield one `BatchResult` per request, in input order. `compiler` builds a
    worker's compiler (it must be picklable when `jobs > 1`: a module-level function or a
    `functools.partial` of one); None: misses are `unanswered`. `probation` is the caches'
    (`ReasoningCache(probation=...)`: the first hits of a new version are checked by the
    LLM). `on_result` is called as each
    request is answered, in the order they finish (for progress)."""
    items = [r if isinstance(r, Request) else Request(i, r) for i, r in enumerate(requests, 1)]
    if jobs < 1:
        raise ValueError("jobs must be at least 1")
    if jobs == 1 or len(items) <= 1:
        cache, meter = _open(location, compiler, probation)
        try:
            for request in items:
                result = _answer_one(cache, meter, request)
                if on_result is not None:
                    on_result(result)
                yield result
        finally:
            cache.close()
        return
    yield from _Pool(location, compiler, min(jobs, len(items)), probation).run(items, on_result)


def _worker(location: str | os.PathLike[str], compiler: CompilerFactory | None, probation: int, tasks: Any,
            results: Any, wid: int) -> None:
    """A worker process: answer tasks `(index, Request)` until a `None`; report each as it
    starts (so that the parent knows what a worker was doing if it dies) and as it ends.
    Ctrl-C is the parent's to handle (it stops the workers), not each worker's: a worker is
    born ignoring it (`_born_ignoring_ctrl_c`), and this keeps it so."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    cache, meter = _open(location, compiler, probation)
    try:
        while (task := tasks.get()) is not None:
            index, request = task
            results.put(("start", wid, index))
            results.put(("done", wid, index, _answer_one(cache, meter, request)))
    finally:
        cache.close()


@contextmanager
def _born_ignoring_ctrl_c() -> Iterator[None]:
    """Processes started inside ignore SIGINT from their first instruction.

    Setting SIG_IGN in `_worker` comes too late: a worker spends its first second importing,
    and a Ctrl-C then printed a KeyboardInterrupt traceback. An ignored signal stays ignored
    across fork and exec (and Python then installs no handler of its own), so the parent
    ignores SIGINT while it starts a process: the forkserver, started by the first `start`,
    and every worker it forks are born ignoring it. SIGINT is blocked meanwhile so that a
    Ctrl-C in that window is delivered to the parent afterwards rather than lost (Linux keeps
    a blocked signal pending even while it is ignored). Only the main thread may do this."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    block = getattr(signal, "pthread_sigmask", None)
    if block is not None:
        block(signal.SIG_BLOCK, {signal.SIGINT})
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if block is not None:
            block(signal.SIG_UNBLOCK, {signal.SIGINT})


class _Pool:
    """Worker processes fed from one task queue; results reordered into input order."""

    def __init__(self, location: str | os.PathLike[str], compiler: CompilerFactory | None, jobs: int,
                 probation: int) -> None:
        methods = multiprocessing.get_all_start_methods()
        # Never fork: the parent may hold open files and threads (a forked SQLite handle is unsafe).
        self.ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        self.location, self.compiler, self.jobs, self.probation = location, compiler, jobs, probation
        self.tasks = self.ctx.Queue()
        self.results = self.ctx.Queue()
        self.workers: dict[int, Any] = {}
        self.busy: dict[int, int] = {}  # worker id -> the index it is answering
        self._next_id = 0

    def _start_worker(self) -> None:
        """Start a worker, with the `None` that will stop it queued behind every task."""
        self.tasks.put(None)
        wid, self._next_id = self._next_id, self._next_id + 1
        p = self.ctx.Process(target=_worker, args=(self.location, self.compiler, self.probation, self.tasks, self.results,
                                                          wid),
                             daemon=True, name=f"sgl-batch-{wid}")
        with _born_ignoring_ctrl_c():
            p.start()
        self.workers[wid] = p

    def run(self, items: list[Request], on_result: Callable[[BatchResult], None] | None) -> Iterator[BatchResult]:
        done: dict[int, BatchResult] = {}  # answered, not yet yielded
        answered: set[int] = set()  # every index with its result, yielded or not
        emitted = 0
        finished = False
        try:
            for index, request in enumerate(items):
                self.tasks.put((index, request))
            for _ in range(self.jobs):
                self._start_worker()
            while emitted < len(items):
                for index, result in self._collect(items, answered):
                    if index in answered:
                        continue  # one result per request: a late one after it was given up as lost
                    answered.add(index)
                    done[index] = result
                    if on_result is not None:
                        on_result(result)
                while emitted in done:
                    yield done.pop(emitted)
                    emitted += 1
            finished = True
        finally:
            self._stop(finished)

    def _collect(self, items: list[Request], answered: set[int]) -> list[tuple[int, BatchResult]]:
        """The results that arrive within a short wait. When none do, the workers are checked:
        a dead worker's request fails and a new worker takes its place."""
        try:
            arrived = self._drain(self.results.get(timeout=0.2))
        except queue.Empty:
            arrived = []
        if arrived:
            return arrived
        dead = [(wid, p) for wid, p in self.workers.items() if not p.is_alive()]
        if not dead:
            return []
        arrived = self._drain()  # what a worker sent just before it exited
        for wid, p in dead:
            del self.workers[wid]
            index = self.busy.pop(wid, None)
            if p.exitcode != 0:
                if index is not None:
                    arrived.append((index, self._lost(items[index], f"the worker process answering it died "
                                                                     f"(exit code {p.exitcode})")))
                self._start_worker()
        if not self.workers:  # every worker finished: a task a dying worker took before it said so is lost
            arriving = {index for index, _ in arrived}
            arrived += [(i, self._lost(items[i], "lost: a worker process died as it took it"))
                        for i in range(len(items)) if i not in answered and i not in arriving]
        return arrived

    def _drain(self, first: Any = None) -> list[tuple[int, BatchResult]]:
        """Handle `first` and every message already waiting; return the results among them."""
        results, message = [], first
        while True:
            if message is not None:
                if message[0] == "start":
                    self.busy[message[1]] = message[2]
                else:
                    _, wid, index, result = message
                    if self.busy.get(wid) == index:
                        del self.busy[wid]
                    results.append((index, result))
            try:
                message = self.results.get_nowait()
            except queue.Empty:
                return results

    @staticmethod
    def _lost(request: Request, why: str) -> BatchResult:
        return BatchResult(request.line, request.text, FAILED, error=why, error_code=E_INTERNAL, id=request.id)

    def _stop(self, finished: bool) -> None:
        """Let the workers close their caches and exit after a batch that finished; stop them at
        once after an interruption (Ctrl-C, an error, a consumer that stopped reading): a store
        never keeps half of a write, and a compile's claim ends with its process."""
        for q in (self.tasks, self.results):  # never wait at exit for data nobody will read
            q.cancel_join_thread()
        for p in self.workers.values():
            if finished:  # a worker's last job is closing its cache (flushing its log)
                p.join(timeout=30)
            if p.is_alive():
                p.terminate()
            p.join()
        for q in (self.tasks, self.results):
            q.close()

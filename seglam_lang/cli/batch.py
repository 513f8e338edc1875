"""`sgl batch FILE.jsonl`: answer many requests through the reasoning cache, in worker processes.

Owns the click command `batch_command` (wired lazily by `seglam_lang.cli`), its progress bar,
its summary line and its exit code. The answering itself is `seglam_lang.cache.batch`.

Invariants:
- one JSON object per request on stdout (or in `--output FILE`), in input order, as each
  becomes the next in order; `--output` is written atomically (`cli.atomic`): complete, or
  not at all;
- the progress bar goes to stderr and only when stderr is a terminal; the summary line goes
  to stderr always (`-q` leaves it out);
- the compiler options are those of `sgl ask` (`cli.cache.compiler_options`), each worker
  process building its own compiler from them;
- exit codes (`seglam_lang.cli`): 0 every request was answered; 4 some went unanswered (no
  procedure and no compiler, or procedures that disagree) and none failed otherwise; 1 some
  request failed (a bad line, an error); 2 a usage error, before any request is asked.
"""

from __future__ import annotations

import functools
import io
import json
import shutil
import sys
import time
from collections import Counter
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import IO, TYPE_CHECKING, TextIO

import click

from seglam_lang.cli.asking import cache_errors, deferred_compiler
from seglam_lang.cli.atomic import atomic_output
from seglam_lang.cli.cache import cache_option, compiler_options
from seglam_lang.cli.cachedir import cache_location
from seglam_lang.cli.failures import EXIT_FAILURE, EXIT_MISS, EXIT_USAGE, fail

if TYPE_CHECKING:
    from seglam_lang.cache.batch import BatchResult


class Progress:
    """Counts of a running batch, and the one-line bar that shows them on a terminal."""

    REDRAW_S = 0.1

    def __init__(self, total: int, stream: TextIO, show_bar: bool) -> None:
        self.total, self.stream, self.show_bar = total, stream, show_bar
        self.outcomes: Counter[str] = Counter()
        self.llm_calls = 0
        self.t0 = time.perf_counter()
        self._drawn = 0.0

    @property
    def done(self) -> int:
        return sum(self.outcomes.values())

    def rate(self) -> float:
        elapsed = time.perf_counter() - self.t0
        return self.done / elapsed if elapsed > 0 else 0.0

    def add(self, result: BatchResult) -> None:
        self.outcomes[result.outcome] += 1
        self.llm_calls += result.llm_calls
        now = time.perf_counter()
        if self.show_bar and (now - self._drawn >= self.REDRAW_S or self.done == self.total):
            self._drawn = now
            self._draw()

    def _draw(self) -> None:
        hits = self.outcomes["hit"]
        text = (f" {self.done}/{self.total}  hits {hits}  misses {self.done - hits}  LLM calls {self.llm_calls}"
                f"  failed {self.outcomes['failed'] + self.outcomes['unanswered']}  {self.rate():.1f}/s")
        width = shutil.get_terminal_size((80, 24)).columns
        bar_width = max(10, min(40, width - len(text) - 3))
        filled = bar_width * self.done // max(self.total, 1)
        line = f"[{'#' * filled}{'.' * (bar_width - filled)}]{text}"
        self.stream.write("\r" + line[: width - 1] + "\x1b[K")
        self.stream.flush()

    def finish(self) -> None:
        if self.show_bar and self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()

    def summary(self) -> str:
        o = self.outcomes
        elapsed = time.perf_counter() - self.t0
        return (f"sgl batch: {self.done} request{'' if self.done == 1 else 's'} in {elapsed:.2f}s "
                f"({self.rate():.1f}/s): {o['hit']} hits, {o['compiled']} compiled, {o['declined']} declined, "
                f"{o['unanswered']} unanswered, {o['failed']} failed; {self.llm_calls} LLM "
                f"call{'' if self.llm_calls == 1 else 's'}")

    def exit_code(self) -> int:
        return EXIT_FAILURE if self.outcomes["failed"] else EXIT_MISS if self.outcomes["unanswered"] else 0


@click.command("batch")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes answering requests at once.")
@click.option("--output", "-o", "output", type=click.Path(dir_okay=False), default=None,
              help="Write the results to this file (atomically) instead of stdout.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary line.")
@cache_option
@compiler_options
@cache_errors
def batch_command(file: str, jobs: int, output: str | None, quiet: bool, cache_dir: str | None,
                  compiler_spec: str | None, record: str | None, max_rounds: int, max_llm_calls: int | None,
                  probation: int) -> None:
    """Answer every request of FILE (JSONL; `-` for stdin) through the reasoning cache.

    A line is a JSON string or an object {"request": ..., "id": ...}. Each request gets one
    JSON line of results, in input order: line, request, answer, hit, procedure, version,
    outcome (hit, compiled, declined, unanswered, failed), llm_calls, error, error_code (and
    the id given). Exit 0 when every request was answered, 4 when some went unanswered (a
    miss with no compiler, or a conflict) and none failed otherwise, 1 when one failed.
    """
    from seglam_lang.cache.batch import answer_many, read_requests

    if output is not None and not Path(output).parent.is_dir():
        fail(f"{output}: no such folder {str(Path(output).parent)!r}", EXIT_USAGE)
    requests = list(read_requests(click.get_binary_stream("stdin") if file == "-" else _open_input(file)))
    location = cache_location(cache_dir)
    # The workers build their own compilers from these options (a picklable recipe, not an object).
    compiler = functools.partial(deferred_compiler, compiler_spec, record, max_rounds, max_llm_calls, False)
    progress = Progress(len(requests), sys.stderr, show_bar=not quiet and sys.stderr.isatty())
    sink: AbstractContextManager[IO[str]] = atomic_output(output) if output is not None else nullcontext(sys.stdout)
    try:
        with sink as out:
            for result in answer_many(location, requests, jobs=jobs, compiler=compiler, probation=probation,
                                      on_result=progress.add):
                out.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
                if output is None:
                    out.flush()
    finally:
        progress.finish()
    if not quiet:
        click.echo(progress.summary(), err=True)
    sys.exit(progress.exit_code())


def _open_input(file: str) -> IO[bytes]:
    """The batch file's bytes (read whole: a missing file is a usage error before any request)."""
    try:
        with open(file, "rb") as f:
            return io.BytesIO(f.read())
    except FileNotFoundError:
        fail(f"{file}: no such file", EXIT_USAGE)
    except OSError as e:
        fail(f"{file}: {e.strerror or e}", EXIT_USAGE)

"""`sgl test PATH...`: run the examples and properties of SGL files and folders.

Owns: finding the `*.sgl` files under the given paths, loading each one (a file that does
not parse or check is reported as a failed check of that file, and the others still
run), verifying each, printing one line per check (details under failures), the warnings
(`file:line:col: warning: ...`, e.g. an untested precondition) and the summary line
`N passed, M failed in Xs`, or the whole report as JSON with `--json` (warnings under
`warnings`).

Invariants:
- exit code 0 when every check passed (warnings do not fail a run), 1 when any failed, 2 on a usage error (no such
  path, no `.sgl` file found, no check matching `-k`, conflicting options); with `--json`
  a failed run's report also has `error` and `code`;
- deterministic unless `--random` (which picks a seed and prints it, so a failure can be
  reproduced with `--seed N`);
- no Hypothesis example database is written unless `--database DIR` is given;
- Hypothesis and the runtime are imported when the command runs, not when the CLI starts.
"""

from __future__ import annotations

import json
import secrets
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import click

from seglam_lang.cli.failures import EXIT_FAILURE, EXIT_USAGE, fail
from seglam_lang.errors import SglError
from seglam_lang.verify.options import DEFAULT_VERIFY
from seglam_lang.verify.report import ERROR, CheckResult, Report, check_headline, render_check


def collect_files(paths: Iterable[str]) -> list[Path]:
    """The `.sgl` files named by `paths`: files as given, folders searched recursively (sorted,
    hidden folders skipped). Raises `click.UsageError` for a path that does not exist."""
    found: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found.extend(sorted(
                f for f in p.rglob("*.sgl")
                if f.is_file() and not any(part.startswith(".") for part in f.relative_to(p).parts)
            ))
        elif p.is_file():
            found.append(p)
        else:
            raise click.UsageError(f"no such file or folder: {raw}")
    # A file named twice (directly and through its folder) is tested once.
    return list(dict.fromkeys(found))


def load_failure(path: Path, error: Exception, source: str | None) -> CheckResult:
    """A file that could not be loaded, as a failed check of kind "module"."""
    if isinstance(error, SglError):
        message = error.render(source)
    else:
        message = f"cannot read the file: {error}"
    line = error.span.line if isinstance(error, SglError) else 0
    return CheckResult("module", path.name, str(path), line, ERROR, message)


class _Printer:
    """Streams checks as they finish; shows a transient progress line when stdout is a terminal."""

    def __init__(self, *, quiet: bool, total_files: int) -> None:
        self.quiet = quiet
        self.total_files = total_files
        self.tty = sys.stdout.isatty()
        self.file_index = 0
        self.file = ""
        self.dirty = False

    def _clear(self) -> None:
        if self.dirty:
            click.echo("\r\x1b[K", nl=False)
            self.dirty = False

    def start_file(self, path: Path) -> None:
        self.file_index += 1
        self.file = str(path)

    def start(self, label: str) -> None:
        if self.tty:
            self._clear()
            text = f"[{self.file_index}/{self.total_files}] {self.file}: {label}"
            click.echo(text[:150], nl=False)
            self.dirty = True

    def result(self, check: CheckResult) -> None:
        self._clear()
        if check.passed and self.quiet:
            return
        text = check_headline(check) if check.passed else render_check(check)
        color = "green" if check.passed else "red"
        label, rest = text.split(" ", 1)
        click.echo(click.style(label, fg=color, bold=not check.passed) + " " + rest, color=self.tty)

    def finish(self) -> None:
        self._clear()


@click.command("test")
@click.argument("paths", nargs=-1, required=True)
@click.option("--seed", type=int, default=None, help="Seed for generated inputs (default 0: the same every run).")
@click.option("--random", "use_random", is_flag=True, help="Use a fresh random seed (printed, to reproduce with --seed).")
@click.option("--max-examples", type=click.IntRange(min=1), default=DEFAULT_VERIFY.max_examples, show_default=True,
              help="Inputs tried per property.")
@click.option("--time-budget", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_VERIFY.time_budget,
              show_default=True,
              help="Seconds per property for finding a failure (and as much again for shrinking it).")
@click.option("--boundary", type=click.IntRange(min=0), default=None,
              help="Boundary inputs run per property before the random ones (default 64; 0: none).")
@click.option("--database", type=click.Path(file_okay=False), default=None,
              help="Keep Hypothesis' example database in DIR (none is written by default).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("-q", "--quiet", is_flag=True, help="Print only failures and the summary.")
@click.option("-x", "--exitfirst", is_flag=True, help="Stop at the first check that fails.")
@click.option("-k", "keywords", multiple=True, metavar="PATTERN",
              help="Run only the checks whose label (`example <text>`, `property <name>`) contains PATTERN "
                   "(any case); repeat for any of several.")
def test_command(paths: tuple[str, ...], seed: int | None, use_random: bool, max_examples: int,
                 time_budget: float, boundary: int | None, database: str | None, as_json: bool, quiet: bool,
                 exitfirst: bool, keywords: tuple[str, ...]) -> None:
    """Run the examples and properties of SGL files (folders are searched for *.sgl)."""
    if seed is not None and use_random:
        raise click.UsageError("--seed and --random cannot be used together")
    files = collect_files(paths)
    if not files:
        raise click.UsageError(f"no .sgl files found in {', '.join(paths)}")
    if use_random:
        seed = secrets.randbits(32)
    elif seed is None:
        seed = 0

    from seglam_lang.runtime.embedding import load
    from seglam_lang.verify.runner import verify

    t0 = time.perf_counter()
    printer = None if as_json else _Printer(quiet=quiet, total_files=len(files))
    reports: list[Report] = []
    for path in files:
        if printer:
            printer.start_file(path)
        source: str | None = None
        try:
            source = path.read_text(encoding="utf-8")
            module = load(str(path))
        except (SglError, OSError, UnicodeDecodeError) as e:
            failed = load_failure(path, e, source)
            reports.append(Report((failed,), seed=seed))
            if printer:
                printer.result(failed)
        else:
            reports.append(verify(
                module, max_examples=max_examples, seed=seed, time_budget=time_budget, database=database,
                **({} if boundary is None else {"boundary": boundary}),
                fail_fast=exitfirst, select=_selector(keywords),
                on_start=printer.start if printer else None, on_result=printer.result if printer else None,
            ))
        if exitfirst and not reports[-1].passed:
            break
    report = Report.merge(reports, seconds=time.perf_counter() - t0)
    if keywords and not report.checks:
        fail(f"no check matches -k {' -k '.join(keywords)} in {len(files)} file(s)", EXIT_USAGE)
    if printer:
        printer.finish()
        for w in report.warnings:
            click.echo(click.style(w.render(), fg="yellow"), color=printer.tty)
        summary = report.summary() + (f" (seed {seed})" if use_random else "")
        click.echo(click.style(summary, fg="green" if report.passed else "red", bold=True), color=printer.tty)
    else:
        data = {**report.to_json(), "files": [str(f) for f in files]}
        if not report.passed:
            failed = sum(not c.passed for c in report.checks)
            data = {"error": f"{failed} check(s) failed: {report.summary()}", "code": EXIT_FAILURE, **data}
            click.echo(f"sgl: {data['error']}", err=True)
        click.echo(json.dumps(data, indent=2))
    sys.exit(0 if report.passed else EXIT_FAILURE)


def _selector(keywords: tuple[str, ...]) -> Callable[[str], bool] | None:
    """`-k`: a check runs when its label contains one of the patterns, in any case."""
    if not keywords:
        return None
    patterns = [k.casefold() for k in keywords]
    return lambda label: any(p in label.casefold() for p in patterns)

"""`sgl ask` and `sgl cache ...`: the reasoning cache from the command line.

Owns the click commands `ask_command` and `cache_group` (wired lazily by
`seglam_lang.cli`), their output formats, and their exit codes.

Invariants:
- `sgl ask` on a hit imports neither the verifier nor an LLM SDK; a compiler is looked
  up only after a miss (`--compiler`, `--record`, `--show-prompt`, `--max-rounds`,
  `--max-llm-calls` configure it: `seglam_lang.compilers`); a bad `--compiler` is a usage
  error (exit 2) even on a hit;
- a `Str` answer prints as plain text, any other value as an SGL literal
  (`format_value`); `--json` prints one object with the keys `answer`, `hit`,
  `procedure`, `version`, `args`, `elapsed_ms` (the answer path), `load_ms` (loading stored
  modules, once per module and process), `llm_calls`;
- exit codes (`seglam_lang.cli`): 0 success, 1 the operation failed (rejected module,
  unknown family, ...), 2 usage error (a missing file or cache folder, a URL of no
  store backend for `--cache`), 4 a miss with no compiler configured. Every error is one line on stderr,
  never a traceback; under `--json` also one JSON object on stdout;
- `--cache DIR|URL` is accepted by `ask` and by every `cache` sub-command (default
  `$SGL_CACHE`, else the user data directory): a folder or a `postgresql://` URL.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from seglam_lang.cli import asking
from seglam_lang.cli.asking import cache_errors
from seglam_lang.cli.atomic import atomic_output
from seglam_lang.cli.cachedir import cache_location, check_cache_value
from seglam_lang.cli.failures import EXIT_FAILURE, EXIT_USAGE, fail

if TYPE_CHECKING:
    from seglam_lang.cache import ReasoningCache

F = TypeVar("F", bound=Callable[..., Any])

cache_option = click.option(
    "--cache", "cache_dir", default=None, callback=check_cache_value, metavar="DIR|URL",
    help="Cache folder, or a postgresql://user@host:port/dbname URL (default: $SGL_CACHE, else the user "
         "data directory).",
)


def _open(cache_dir: str | None, probation: int = 0) -> ReasoningCache:
    """The command's cache, closed when the command ends (which writes its queued request-log rows)."""
    from seglam_lang.cache import ReasoningCache

    cache = ReasoningCache(cache_location(cache_dir), probation=probation)
    ctx = click.get_current_context(silent=True)
    if ctx is not None:  # closed with the command: a store may buffer the request log
        ctx.call_on_close(cache.close)
    return cache


def _check_svg_name(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not value.lower().endswith(".svg"):
        raise click.BadParameter(f"{value!r}: the chart is written as SVG: give a file name ending in .svg",
                                 ctx=ctx, param=param)
    return value


def _check_compiler_spec(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value:
        from seglam_lang.compilers import check_spec

        problem = check_spec(value)
        replay = value.strip().removeprefix("replay:") if value.strip().startswith("replay:") else None
        if not problem and replay is not None and not Path(replay).is_file():
            problem = f"replay: no such file: {replay}"  # a missing input file is a usage error
        if problem:
            raise click.BadParameter(problem, ctx=ctx, param=param)
    return value


def compiler_options(fn: F) -> F:
    """The options that configure the compiler of a miss (`--compiler`, `--record`,
    `--max-rounds`, `--max-llm-calls`) and of probation (`--probation`), shared by `sgl ask`
    and `sgl batch`."""
    for option in reversed((
        click.option("--compiler", "compiler_spec", default=None, callback=_check_compiler_spec,
                     help="On a miss: anthropic[:MODEL], openai:MODEL@BASE_URL or replay:FILE.jsonl "
                          "(default: $SGL_COMPILER, else anthropic when ANTHROPIC_API_KEY is set)."),
        click.option("--record", "record", type=click.Path(dir_okay=False), default=None,
                     help="Append the compiler's replies to this JSONL file (replay them with replay:FILE)."),
        click.option("--max-rounds", type=click.IntRange(min=0), default=3, show_default=True,
                     help="Repair rounds after a reply that does not verify."),
        click.option("--max-llm-calls", type=click.IntRange(min=0), default=None,
                     help="At most this many LLM calls for one request (default: 1 + max rounds)."),
        click.option("--probation", type=click.IntRange(min=0), default=0, show_default=True, metavar="K",
                     help="Also ask the LLM the first K hits of each newly stored version; a disagreement "
                          "suspends the version (as `sgl cache reject` does) and answers with the LLM's answer."),
    )):
        fn = option(fn)
    return fn


@click.command("ask")
@click.argument("request")
@click.option("--json", "as_json", is_flag=True, help="Print the answer and how it was found as JSON.")
@cache_option
@compiler_options
@click.option("--show-prompt", is_flag=True, help="On a miss, print the prompt that would be sent and stop.")
def ask_command(request: str, as_json: bool, cache_dir: str | None, compiler_spec: str | None, record: str | None,
                show_prompt: bool, max_rounds: int, max_llm_calls: int | None, probation: int) -> None:
    """Answer REQUEST through the reasoning cache.

    A hit runs a cached procedure (no LLM call). A miss calls the configured compiler,
    which writes, verifies and stores a procedure for this kind of request; with none
    configured it exits with code 4. With --probation K, the first K hits of each newly
    stored version are also answered by the compiler and compared.
    """
    asking.ask(request, as_json, cache_dir, compiler_spec, record, show_prompt, max_rounds, max_llm_calls,
               probation)


@click.group("cache")
def cache_group() -> None:
    """Inspect and manage a reasoning cache (a folder of .sgl files plus an index)."""


@cache_group.command("add")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, exists=True))
@cache_option
@cache_errors
def add_command(files: tuple[str, ...], cache_dir: str | None) -> None:
    """Verify SGL modules, then store each as a procedure family (named after the file)."""
    from seglam_lang.cache import CacheError

    cache = _open(cache_dir)
    failed = 0
    for path in files:
        try:
            version = cache.add(path)
        except CacheError as e:
            failed += 1
            click.echo(f"sgl: {e}", err=True)
            continue
        click.echo(f"added {path} (version {version})")
    if failed:
        raise SystemExit(EXIT_FAILURE)


@cache_group.command("ls")
@click.option("--json", "as_json", is_flag=True, help="Print the families as a JSON list.")
@cache_option
@cache_errors
def ls_command(as_json: bool, cache_dir: str | None) -> None:
    """List procedure families with version, status and triggers."""
    cache = _open(cache_dir)
    triggers: dict[str, list[str]] = {}
    for t in cache.store.triggers():
        triggers.setdefault(t.family, []).append(("re" if t.is_regex else "") + json.dumps(t.pattern))
    rows = cache.ls()
    if as_json:
        click.echo(json.dumps([{"family": r.name, "version": r.version, "status": r.status, "reason": r.reason,
                                "triggers": triggers.get(r.name, [])} for r in rows], ensure_ascii=False))
        return
    if not rows:
        click.echo(f"(no procedures in {cache.location})")
    for r in rows:
        status = r.status if r.reason is None else f"{r.status}: {r.reason}"
        click.echo(f"{r.name}  v{r.version}  {status}")
        for t in triggers.get(r.name, []):
            click.echo(f"    @when({t})")


@cache_group.command("show")
@click.argument("name")
@click.option("--version", "version", type=int, default=None, help="Show an earlier version.")
@cache_option
@cache_errors
def show_command(name: str, version: int | None, cache_dir: str | None) -> None:
    """Print the source of a procedure family (NAME or FAMILY.PROC; a removed family's history too)."""
    click.echo(_open(cache_dir).show(name, version), nl=False)


@cache_group.command("why")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the provenance as one JSON object.")
@cache_option
@cache_errors
def why_command(name: str, as_json: bool, cache_dir: str | None) -> None:
    """Why a procedure exists: origin request, compiler, time, later versions, verification record.

    NAME is a family, or FAMILY.PROC as `sgl ask --json` prints it."""
    info = _open(cache_dir).why(name)
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False))
        return
    family = info["family"]
    click.echo(f"{family} version {info['version']} ({info['status']}{': ' + info['reason'] if info['reason'] else ''})")
    if info["origin"] and info["origin_version"] != info["version"]:
        click.echo(f"  origin (of version {info['origin_version']}):")
    for key, value in info["origin"].items():
        click.echo(f"  {key}: {value}")
    if not info["origin"]:
        click.echo("  (no origin block)")
    for change in info["changes"]:
        click.echo(f"  v{change['version']} {_time(change['time'])}: {change['note'] or ''}")
    click.echo(f"  stored: {_time(info['updated'])}")
    for v in info["verifications"]:
        click.echo(f"  verification v{v['version']} {_time(v['time'])}: {'passed' if v['passed'] else 'FAILED'}"
                   f" ({v['summary']})")
    for case in info["rejected_cases"]:
        click.echo(f"  rejected: {case['request']!r} should be {case['expected']}")


@cache_group.command("history")
@click.argument("name")
@cache_option
@cache_errors
def history_command(name: str, cache_dir: str | None) -> None:
    """List the stored versions of a family (`show --version N` prints one); kept after `rm`."""
    for h in _open(cache_dir).history(name):
        click.echo(f"v{h['version']}  {_time(h['created'])}  {h['hash'][:12]}  {h['note'] or ''}")


@cache_group.command("reject")
@click.argument("name")
@click.option("--request", "request", required=True, help="The request that was answered wrongly.")
@click.option("--expected", "expected", required=True, help="The right answer (an SGL literal or plain text).")
@cache_option
@cache_errors
def reject_command(name: str, request: str, expected: str, cache_dir: str | None) -> None:
    """Suspend a family that answered a request wrongly; keep the case for the next compile.

    Refused (exit 1) when the family does not match the request, or already answers it
    with EXPECTED. NAME is a family, or FAMILY.PROC as `sgl ask --json` prints it."""
    cache = _open(cache_dir)
    wrong = cache.reject(name, request, expected)
    family = cache.administration.family_of(name)
    click.echo(f"suspended {family} (it answered {wrong}); the case is kept as a failing example")


_accept_changes_option = click.option(
    "--accept-changes", is_flag=True,
    help="Store the new version even where it answers differently from the old one (the record says so).")


@cache_group.command("restore")
@click.argument("name")
@click.option("--version", "version", type=click.IntRange(min=1), default=None,
              help="Roll back to this earlier version (default: re-activate the current one).")
@_accept_changes_option
@cache_option
@cache_errors
def restore_command(name: str, version: int | None, accept_changes: bool, cache_dir: str | None) -> None:
    """Serve a suspended family again, or roll back to an earlier version (verified again first).

    A roll-back is checked against the current version: its examples, and the same answers
    on generated inputs, unless --accept-changes. Rejected cases the restored version fails
    are withdrawn. A roll-back is stored as a new version; the history keeps every version."""
    cache = _open(cache_dir)
    served = cache.restore(name, version, accept_changes=accept_changes)
    click.echo(f"{cache.administration.family_of(name)} is active at version {served}")


@cache_group.command("replace")
@click.argument("name")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@_accept_changes_option
@cache_option
@cache_errors
def replace_command(name: str, file: str, accept_changes: bool, cache_dir: str | None) -> None:
    """Store FILE as the next version of NAME.

    It must pass the rejected cases and the old version's examples, and answer as the old
    version does on generated inputs where both apply (but for rejected cases), unless
    --accept-changes."""
    version = _open(cache_dir).replace(name, file, accept_changes=accept_changes)
    click.echo(f"{name} is now version {version}")


@cache_group.command("verify")
@click.argument("names", nargs=-1)
@click.option("--accept", is_flag=True,
              help="Store hand edits that change the code (after they verify); without it they are shown as a diff.")
@cache_option
@cache_errors
def verify_command(names: tuple[str, ...], accept: bool, cache_dir: str | None) -> None:
    """Re-verify families (all by default) from their files."""
    results = _open(cache_dir).verify(names or None, accept=accept)
    for r in results:
        click.echo(f"{'ok  ' if r.passed else 'FAIL'} {r.family}: {r.summary}")
        if r.diff:
            click.echo(r.diff, nl=False)
    if any(not r.passed for r in results):
        raise SystemExit(EXIT_FAILURE)


@cache_group.command("export")
@click.argument("directory", type=click.Path(file_okay=False))
@cache_option
@cache_errors
def export_command(directory: str, cache_dir: str | None) -> None:
    """Copy the active families' .sgl files to DIRECTORY."""
    names = _open(cache_dir).export(directory)
    click.echo(f"exported {len(names)} famil{'y' if len(names) == 1 else 'ies'} to {directory}")


@cache_group.command("import")
@click.argument("directory", type=click.Path(file_okay=False, exists=True))
@cache_option
@cache_errors
def import_command(directory: str, cache_dir: str | None) -> None:
    """Verify and add (or replace) every .sgl file of DIRECTORY."""
    results = _open(cache_dir).import_(directory)
    for name, outcome in results:
        click.echo(f"{name}: {outcome}")
    if any(o.startswith("rejected") for _, o in results):
        raise SystemExit(EXIT_FAILURE)


@cache_group.command("rm")
@click.argument("name")
@cache_option
@cache_errors
def rm_command(name: str, cache_dir: str | None) -> None:
    """Remove a family (its history stays on disk)."""
    _open(cache_dir).rm(name)
    click.echo(f"removed {name}")


@cache_group.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as one JSON object.")
@click.option("--plot", "plot", type=click.Path(dir_okay=False), default=None, callback=_check_svg_name,
              help="Draw the learning curve (cumulative LLM calls against requests) to this .svg file.")
@cache_option
@cache_errors
def stats_command(as_json: bool, plot: str | None, cache_dir: str | None) -> None:
    """Requests, hits, misses, LLM calls and tokens."""
    from seglam_lang.cache import CacheError

    cache = _open(cache_dir)
    s = cache.stats()
    if as_json:
        click.echo(json.dumps(s))
    else:
        click.echo(f"procedures: {s['procedures']}")
        click.echo(f"requests: {s['requests']}  hits: {s['hits']}  misses: {s['misses']}"
                   f"  (conflicts: {s['conflicts']})  hit rate: {s['hit_rate']:.1%}")
        click.echo(f"LLM calls: {s['llm_calls']}  tokens in: {s['tokens_in']}  out: {s['tokens_out']}"
                   f"  cache-read: {s['tokens_cache_read']}")
        if s["probation_calls"]:
            click.echo(f"probation: {s['probation_calls']} LLM calls checked hits of new versions, "
                       f"{s['probation_suspended']} suspended a version")
        if s["first"] is not None:
            click.echo(f"from {_time(s['first'])} to {_time(s['last'])}")
    if plot:
        from seglam_lang.cache.report import learning_curve
        from seglam_lang.cache.report_html import learning_curve_svg
        from seglam_lang.cache.svg import standalone

        log = cache.logged_requests()
        if not log:
            raise CacheError("no requests logged yet: nothing to plot")
        with atomic_output(plot) as f:
            f.write(standalone(learning_curve_svg(learning_curve(log))))
        click.echo(f"wrote {plot}")


@cache_group.command("report")
@click.option("--html", "html_file", type=click.Path(dir_okay=False), required=True,
              help="Write the report to this HTML file (one self-contained page).")
@cache_option
@cache_errors
def report_command(html_file: str, cache_dir: str | None) -> None:
    """Write a report of the cache as one HTML page: the learning curve, the families with
    their hits, status, provenance and history (as diffs), and what was rejected and why."""
    from seglam_lang.cache.report_html import render

    if not Path(html_file).parent.is_dir():
        fail(f"{html_file}: no such folder {str(Path(html_file).parent)!r}", EXIT_USAGE)
    report = _open(cache_dir).report()
    with atomic_output(html_file) as f:
        f.write(render(report))
    click.echo(f"wrote {html_file} ({len(report.families)} famil{'y' if len(report.families) == 1 else 'ies'}, "
               f"{report.stats['kept']:,} logged requests)")


@cache_group.command("settings")
@click.option("--log-rows", type=click.IntRange(min=0), default=None,
              help="Keep at most this many requests in the log (0: no bound).")
@click.option("--log-days", type=click.FloatRange(min=0), default=None,
              help="Keep requests for at most this many days (0: no bound).")
@click.option("--log-text", type=click.Choice(["text", "hash"]), default=None,
              help="Log each request as asked (text) or only its SHA-256 (hash).")
@cache_option
@cache_errors
def settings_command(log_rows: int | None, log_days: float | None, log_text: str | None, cache_dir: str | None) -> None:
    """Show, or change, how the request log is kept (for every process using the folder)."""
    s = _open(cache_dir).log_settings(rows=log_rows, days=log_days, text=log_text)
    click.echo(f"log rows: {s.rows or 'no bound'}  days: {s.days or 'no bound'}  requests kept as: {s.text}")


@cache_group.command("forget")
@cache_option
@cache_errors
def forget_command(cache_dir: str | None) -> None:
    """Forget the requests remembered as declined or failed (the next miss compiles them again)."""
    n = _open(cache_dir).forget()
    click.echo(f"forgot {n} request{'' if n == 1 else 's'}")


@cache_group.command("reindex")
@cache_option
@cache_errors
def reindex_command(cache_dir: str | None) -> None:
    """Rebuild the index from the .sgl files of the cache folder (or a database's current sources).

    An index that cannot be read (truncated, garbage) is moved aside first, and the new one is
    built from the files: families whose verification record was lost are `unverified` until
    `sgl cache verify` checks them again."""
    from seglam_lang.cache.backends import is_postgres_url
    from seglam_lang.cache.store import move_broken_index_aside

    location = cache_location(cache_dir)
    aside = None if is_postgres_url(location) else move_broken_index_aside(Path(location))
    if aside is not None:
        click.echo(f"sgl: warning: the index could not be read; it was moved to {aside}", err=True)
    cache = _open(cache_dir)
    problems = cache.reindex()
    for p in problems:
        click.echo(f"sgl: warning: {p}", err=True)
    click.echo(f"indexed {len(cache.ls())} famil{'y' if len(cache.ls()) == 1 else 'ies'}")


def _time(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")

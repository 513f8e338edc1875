"""`sgl cache verify` and hand edits (issue 16 §7): an edit that changes the code is shown as
a unified diff and stored only with `--accept` (after it verifies); an edit of layout or
comments only is stored without; without `--accept` nothing is stored and the edit never runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from seglam_lang.cache import CacheMiss, ReasoningCache
from seglam_lang.cache.index import ACTIVE, TAMPERED
from seglam_lang.cli import main

# Edits of arith.sgl that change the code but still pass its examples and properties.
BEHAVIOUR_EDITS: list[tuple[str, str]] = [
    ("    return a + b\n", "    if a == 40:\n        return 0\n    return a + b\n"),  # a new branch
    ('@when("add {a} and {b}")\n', ""),  # a trigger dropped
    ('"""Sum of two integers."""', '"""The sum of two integers."""'),  # a docstring is code, not a comment
]
# Edits that keep the syntax tree: comments, blank lines, spacing.
LAYOUT_EDITS: list[tuple[str, str]] = [
    ("    return a + b\n", "    return a + b  # the sum\n"),
    ("proc sub(", "# subtraction below\n\n\nproc sub("),
    ("    return a - b\n", "    return (a - b)\n"),
]
# Edits that change the code and fail verification: an example, a load error, a bad trigger.
FAILING_EDITS: list[tuple[str, str]] = [
    ("    return a + b\n", "    return a + b + 1\n"),
    ("    return a - b\n", "    return a - \n"),
    ('@when("add {a} and {b}")', '@when("{a}")'),
]


def edit(cache: ReasoningCache, old: str, new: str) -> tuple[str, str]:
    path = cache.store.current_path("arith")
    before = path.read_text()
    assert old in before
    path.write_text(before.replace(old, new, 1))
    return before, path.read_text()


def unchanged(cache: ReasoningCache, version: int = 1) -> None:
    """The family kept its version and stored nothing; its edited file never runs."""
    row = cache.store.require("arith")
    assert row.version == version and len(cache.history("arith")) == version
    assert row.status == TAMPERED
    with pytest.raises(CacheMiss):
        cache.ask("what is 40+2")


@pytest.mark.parametrize(("old", "new"), BEHAVIOUR_EDITS)
def test_a_behaviour_edit_is_shown_and_not_stored_without_accept(cache: ReasoningCache, old: str, new: str) -> None:
    stored, edited = edit(cache, old, new)
    (result,) = cache.verify(["arith"])
    assert not result.passed and "verify --accept arith" in result.summary
    assert result.diff is not None
    assert result.diff.startswith("--- arith version 1 (stored)\n+++ arith.sgl (file)\n")
    diff = result.diff.splitlines()
    gone, came = set(stored.splitlines()) - set(edited.splitlines()), set(edited.splitlines()) - set(stored.splitlines())
    assert gone | came and all(f"-{line}" in diff for line in gone) and all(f"+{line}" in diff for line in came)
    unchanged(cache)
    assert cache.store.current_path("arith").read_text() == edited  # the edit is the user's: kept for review
    assert cache.show("arith", version=1) == stored
    # Again without --accept: still refused, still version 1.
    assert not cache.verify(["arith"])[0].passed
    unchanged(cache)


@pytest.mark.parametrize(("old", "new"), BEHAVIOUR_EDITS)
def test_an_accepted_behaviour_edit_is_verified_and_stored(cache: ReasoningCache, old: str, new: str) -> None:
    _, edited = edit(cache, old, new)
    (result,) = cache.verify(["arith"], accept=True)
    assert result.passed and result.diff is None and result.summary.startswith("verified")
    row = cache.store.require("arith")
    assert (row.version, row.status) == (2, ACTIVE)
    assert cache.history("arith")[-1]["note"] == "hand edit accepted by `sgl cache verify --accept`"
    assert cache.show("arith", version=2) == edited
    expected = 0 if "a == 40" in new else 42
    assert cache.ask("what is 40+2").answer == expected
    assert cache.verify(["arith"])[0].passed and cache.store.require("arith").version == 2  # nothing more to accept


@pytest.mark.parametrize(("old", "new"), LAYOUT_EDITS)
@pytest.mark.parametrize("accept", [False, True])
def test_a_layout_or_comment_edit_is_stored_without_accept(cache: ReasoningCache, old: str, new: str,
                                                           accept: bool) -> None:
    _, edited = edit(cache, old, new)
    (result,) = cache.verify(["arith"], accept=accept)
    assert result.passed and result.diff is None
    assert cache.store.require("arith").version == 2 and cache.show("arith", version=2) == edited
    assert cache.history("arith")[-1]["note"].startswith("hand edit of layout or comments only")
    assert cache.ask("what is 40+2").answer == 42


@pytest.mark.parametrize(("old", "new"), FAILING_EDITS)
@pytest.mark.parametrize("accept", [False, True])
def test_an_edit_that_fails_verification_is_never_stored(cache: ReasoningCache, old: str, new: str,
                                                         accept: bool) -> None:
    edit(cache, old, new)
    (result,) = cache.verify(["arith"], accept=accept)
    assert not result.passed
    assert (result.diff is None) == accept  # with --accept it is checked (and fails), without it is shown
    unchanged(cache)


def test_other_families_are_verified_alongside_a_refused_edit(cache: ReasoningCache) -> None:
    edit(cache, *BEHAVIOUR_EDITS[0])
    results = {r.family: r.passed for r in cache.verify()}
    assert results == {"arith": False, "dates": True, "vat": True, "words": True}
    assert cache.store.require("dates").version == 1


# ------------------------------------------------------------ the command line


def sgl(cache_dir: Path, *args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, [*args, "--cache", str(cache_dir)])
    return r.exit_code, r.stdout, r.stderr


@pytest.fixture
def cli_cache(cache: ReasoningCache) -> Callable[..., tuple[int, str, str]]:
    cache.close()
    return lambda *args: sgl(cache.dir, *args)


def test_cli_shows_the_diff_and_refuses_without_accept(cache: ReasoningCache,
                                                       cli_cache: Callable[..., tuple[int, str, str]]) -> None:
    edit(cache, *BEHAVIOUR_EDITS[0])
    code, out, err = cli_cache("cache", "verify", "arith")
    assert code == 1 and "Traceback" not in err
    lines = out.splitlines()
    assert lines[0].startswith("FAIL arith: the file was edited by hand") and "verify --accept arith" in lines[0]
    assert lines[1:3] == ["--- arith version 1 (stored)", "+++ arith.sgl (file)"]
    assert "+    if a == 40:" in lines and "+        return 0" in lines
    assert cli_cache("ask", "what is 40+2")[0] == 4  # the edited file never runs
    assert cli_cache("cache", "history", "arith")[1].count("\n") == 1
    code, out, _ = cli_cache("cache", "verify", "--accept", "arith")
    assert code == 0 and out.startswith("ok   arith: verified") and "---" not in out
    assert cli_cache("ask", "what is 40+2")[1] == "0\n"
    assert "hand edit accepted by `sgl cache verify --accept`" in cli_cache("cache", "history", "arith")[1]


def test_cli_stores_a_comment_edit_and_refuses_a_failing_one(cache: ReasoningCache,
                                                             cli_cache: Callable[..., tuple[int, str, str]]) -> None:
    edit(cache, *LAYOUT_EDITS[0])
    code, out, _ = cli_cache("cache", "verify", "arith")
    assert code == 0 and out.startswith("ok   arith: verified") and "---" not in out
    assert "layout or comments only" in cli_cache("cache", "history", "arith")[1]
    edit(cache, "    return a - b\n", "    return a - b - 1\n")
    code, out, err = cli_cache("cache", "verify", "--accept", "arith")
    assert code == 1 and out.startswith("FAIL arith: example") and "Traceback" not in err
    assert cli_cache("ask", "what is 40+2")[0] == 4
    assert cli_cache("cache", "history", "arith")[1].count("\n") == 2


"""`bench/workload.py` and `bench/baselines.py`: the reasoning cache against answer caches (issue 7).

Owns a fast smoke run of the bench (3 BBH families x 20 rows, through the real command
line) and unit tests of its parts: request reading, the answer caches, TF-IDF, answer
comparison, the plot switch. The full-data figures are in the README, not asserted here.

The BBH data lives outside the repository (`../shared/data/bbh`, or `$SEGLAM_BBH_DATA`);
without it the smoke run skips.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))

import baselines  # noqa: E402
import workload  # noqa: E402

DATA = Path(os.environ.get("SEGLAM_BBH_DATA", REPO.parent / "shared" / "data" / "bbh"))
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason=f"BBH data not found at {DATA}")

SMOKE_FAMILIES = ("boolean_expressions", "navigate", "word_sorting")
ROWS_PER_FAMILY = 20
FIELDS = {"requests", "llm_calls", "hits", "correct", "wrong", "faults_planted", "faults_caught", "faults_suspended",
          "probation_calls", "recompiles_refused", "p50_us", "p99_us"}


def bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(REPO / "bench" / "workload.py"), *args], cwd=REPO,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The bench on a JSONL slice: 20 rows of each smoke family, plus each family's first
    request once more, verbatim (the only thing an exact-match cache can hit)."""
    if not DATA.is_dir():
        pytest.skip(f"BBH data not found at {DATA}")
    lines = []
    for family in SMOKE_FAMILIES:
        examples = json.loads((DATA / f"{family}.json").read_text())["examples"][:ROWS_PER_FAMILY]
        lines += [json.dumps({"family": family, **ex}) for ex in [*examples, examples[0]]]
    path = tmp_path_factory.mktemp("bench") / "slice.jsonl"
    path.write_text("\n".join(lines) + "\n")
    done = bench("--requests", str(path), "--library", "examples/bbh", "--json", "--similarity", "tfidf")
    assert done.returncode == 0, done.stderr
    return {"figures": json.loads(done.stdout), "stderr": done.stderr}


@needs_data
def test_json_has_exactly_the_agreed_shape(smoke: dict) -> None:
    systems = smoke["figures"]["systems"]
    assert list(smoke["figures"]) == ["systems"]
    assert set(systems) == {"seglam", "exact", "similarity"}
    for s in systems.values():
        assert set(s) == {"total", "families"}
        assert set(s["families"]) == set(SMOKE_FAMILIES)
        for f in [s["total"], *s["families"].values()]:
            assert set(f) == FIELDS
            assert f["correct"] <= f["hits"] <= f["requests"]
            assert (f["p50_us"] is None) == (f["hits"] == 0)
            if f["hits"]:
                assert 0 < f["p50_us"] <= f["p99_us"]
        assert s["total"]["requests"] == sum(f["requests"] for f in s["families"].values())
        assert s["total"]["llm_calls"] == sum(f["llm_calls"] for f in s["families"].values())
        assert s["total"]["faults_planted"] == s["total"]["faults_caught"] == 0  # a perfect LLM by default
    assert "TF-IDF" in smoke["stderr"]


@needs_data
def test_seglam_makes_one_llm_call_per_family_and_no_wrong_answer(smoke: dict) -> None:
    for family, f in smoke["figures"]["systems"]["seglam"]["families"].items():
        assert f["requests"] == ROWS_PER_FAMILY + 1
        assert f["llm_calls"] == 1, family
        assert f["wrong"] == 0, family
        assert f["hits"] == f["correct"] == f["requests"] - 1, family


@needs_data
def test_exact_match_cache_misses_every_changed_value(smoke: dict) -> None:
    for family, f in smoke["figures"]["systems"]["exact"]["families"].items():
        # Only the verbatim repeat hits: every request with other values costs an LLM call.
        assert (f["hits"], f["llm_calls"], f["wrong"]) == (1, ROWS_PER_FAMILY, 0), family


@needs_data
def test_similarity_cache_answers_similar_looking_requests_wrongly(smoke: dict) -> None:
    total = smoke["figures"]["systems"]["similarity"]["total"]
    assert total["wrong"] > 0
    assert total["llm_calls"] + total["hits"] == total["requests"]


# ---------------------------------------------------------------- reading requests


def test_reads_bbh_files_jsonl_and_folders(tmp_path: Path) -> None:
    (tmp_path / "alpha.json").write_text(json.dumps({"examples": [{"input": "a 1", "target": "1"}]}))
    (tmp_path / "more.jsonl").write_text('{"family": "beta", "input": "b 2", "target": "2"}\n\n')
    rows = workload.read_requests([tmp_path])
    assert rows == [workload.Row("alpha", "a 1", "1"), workload.Row("beta", "b 2", "2")]
    assert workload.read_requests([tmp_path / "alpha.json"]) == rows[:1]


@pytest.mark.parametrize(("name", "text", "message"), [
    ("bad.jsonl", '{"family": "x", "input": "i"}\n', "bad.jsonl:1: a row needs string fields family, input, target"),
    ("bad.jsonl", '{"family": "x",\n', "bad.jsonl:1: invalid JSON"),
    ("bad.json", '{"rows": []}', 'bad.json: expected a BBH file'),
])
def test_bad_request_files_are_one_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str,
                                              text: str, message: str) -> None:
    (tmp_path / name).write_text(text)
    assert workload.main(["--requests", str(tmp_path / name), "--library", str(REPO / "examples" / "bbh")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_stream_is_a_seeded_interleaving_of_each_familys_first_rows() -> None:
    rows = [workload.Row(f, f"{f} {i}", str(i)) for f in "abc" for i in range(10)]
    stream = workload.build_stream(rows, seed=3, per_family=4)
    assert stream == workload.build_stream(rows, seed=3, per_family=4)
    assert sorted(stream, key=rows.index) == [r for r in rows if int(r.target) < 4]
    assert [r.family for r in stream] != sorted(r.family for r in stream)  # interleaved, not in blocks


def test_library_serves_a_family_by_name_or_longest_prefix(tmp_path: Path) -> None:
    for stem in ("tracking", "tracking_shuffled", "navigate"):
        (tmp_path / f"{stem}.sgl").write_text("")
    library = workload.Library(tmp_path)
    assert library.module_for("navigate") == "navigate"
    assert library.module_for("tracking_shuffled_objects_five") == "tracking_shuffled"
    assert library.module_for("tracking_other") == "tracking"
    assert library.module_for("navigates") is None


# ---------------------------------------------------------------- answers and caches


@pytest.mark.parametrize(("value", "target", "correct"), [
    ("Yes", " Yes\n", True), ("yes", "Yes", False), (24, "24", True), (True, "True", True),
    (Decimal("1.50"), "1.50", True), ([1, 2], "[1, 2]", True), ("(A)", "(B)", False),
])
def test_answers_compare_by_plain_text(value: object, target: str, correct: bool) -> None:
    assert workload.is_correct(value, target) is correct


def test_exact_cache_hits_only_the_same_text() -> None:
    cache = baselines.ExactCache()
    cache.store("What is 2 + 3?", "5")
    assert cache.lookup("  What is 2 + 3?\n") == "5"
    assert cache.lookup("What is 2 + 4?") is None


def test_similarity_cache_returns_the_nearest_answer_above_the_threshold() -> None:
    corpus = ["sort the words: pear apple", "sort the words: fig kiwi", "is the sky blue today"]
    cache = baselines.SimilarityCache(baselines.TfidfEmbedder(corpus), threshold=0.8)
    assert cache.lookup(corpus[0]) is None  # empty
    cache.store(corpus[0], "apple pear")
    cache.store(corpus[2], "yes")
    assert cache.lookup(corpus[0]) == "apple pear"
    assert cache.lookup("is the sky blue today?") == "yes"
    assert cache.lookup("completely unrelated words") is None
    strict = baselines.SimilarityCache(baselines.TfidfEmbedder(corpus), threshold=1.0)
    strict.store(corpus[0], "apple pear")
    assert strict.lookup(corpus[1]) is None


@settings(max_examples=50, deadline=None)
@given(st.text(min_size=1, max_size=60), st.text(max_size=60))
def test_tfidf_cosine_is_one_with_itself_and_bounded(a: str, b: str) -> None:
    embedder = baselines.TfidfEmbedder([a, b, "the of and"])
    va, vb = embedder.embed(a), embedder.embed(b)
    if va:
        assert abs(sum(w * w for w in va.values()) - 1) < 1e-9
    assert sum(w * vb.get(t, 0.0) for t, w in va.items()) <= 1 + 1e-9


def test_similarity_kind_embedding_without_a_model_is_a_usage_error(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    if baselines.load_sentence_embedder() is not None:
        pytest.skip("a sentence-embedding model is installed here")
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"family": "f", "input": "q", "target": "a"}\n')
    args = ["--requests", str(rows), "--library", str(REPO / "examples" / "bbh"), "--similarity", "embedding"]
    assert workload.main(args) == 2
    assert "no sentence-embedding model is installed" in capsys.readouterr().err


# ---------------------------------------------------------------- the plot


def test_plot_to_a_name_that_is_not_svg_is_exit_2_before_any_work(capsys: pytest.CaptureFixture[str],
                                                                   tmp_path: Path) -> None:
    code = workload.main(["--requests", str(tmp_path / "missing.jsonl"), "--library", "examples/bbh",
                          "--plot", str(tmp_path / "out.png")])
    assert code == 2
    assert "give a file name ending in .svg" in capsys.readouterr().err


def test_plot_draws_an_svg_line_per_system(tmp_path: Path) -> None:
    rows = tmp_path / "rows.jsonl"
    rows.write_text("".join(json.dumps({"family": "unknown_family", "input": f"q {i}", "target": str(i)}) + "\n"
                            for i in range(5)))
    out = tmp_path / "charts" / "calls.svg"
    done = bench("--requests", str(rows), "--library", "examples/bbh", "--plot", str(out))
    assert done.returncode == 0, done.stderr
    svg = ElementTree.fromstring(out.read_text(encoding="utf-8"))
    lines = svg.findall(".//{http://www.w3.org/2000/svg}polyline")
    assert len(lines) == 3  # seglam, exact, similarity
    # no module: every request is an LLM call, so each curve ends at 5 after 5 requests
    assert all(line.find("{http://www.w3.org/2000/svg}title").text.endswith("(5 at 5)") for line in lines)
    assert "| unknown_family | – | 5 | 5 |" in done.stdout


# ---------------------------------------------------------------- an imperfect LLM (issue 12)

DOUBLE = """\
@when("double {n}")
proc double(n: Int) -> Int:
    \"\"\"Twice n.\"\"\"
    return n * 2
"""
CHECKED = DOUBLE + """
example double(3) == 6

property adds_itself(n: Int):
    assert double(n) == n + n
"""


def fault_run(tmp_path: Path, capsys: pytest.CaptureFixture[str], module: str, *args: str) -> tuple[dict, str]:
    """The bench over "double 2" then "double 5", "double 7": only `n + 2` (from `n * 2`) among the
    mutants answers the first rightly and another wrongly, so it is the fault planted."""
    lib = tmp_path / "lib"
    lib.mkdir(exist_ok=True)
    (lib / "double.sgl").write_text(module)
    rows = tmp_path / "rows.jsonl"
    rows.write_text("".join(json.dumps({"family": "double", "input": f"double {n}", "target": str(2 * n)}) + "\n"
                            for n in (2, 5, 7)))
    seed = args[args.index("--seed") + 1] if "--seed" in args else "0"
    first = workload.build_stream(workload.read_requests([rows]), int(seed))[0]
    assert first.input == "double 2", "the test needs a seed whose shuffled stream starts with double 2"
    code = workload.main(["--requests", str(rows), "--library", str(lib), "--systems", "seglam", "--json", *args])
    out, err = capsys.readouterr()
    assert code == 0, err
    figures = json.loads(out)
    assert list(figures["systems"]) == ["seglam"]
    return figures["systems"]["seglam"]["total"], err


def test_a_fault_refused_by_verification_costs_a_repair_round(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    total, _ = fault_run(tmp_path, capsys, CHECKED, "--fault-rate", "1")
    assert (total["faults_planted"], total["faults_caught"], total["wrong"]) == (1, 1, 0)
    assert total["llm_calls"] == 2 and total["hits"] == 2


def test_a_fault_that_verification_misses_is_served(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    total, err = fault_run(tmp_path, capsys, DOUBLE, "--fault-rate", "1")
    assert (total["faults_planted"], total["faults_caught"]) == (1, 0)
    assert total["wrong"] == 2 and total["llm_calls"] == 1
    assert "double: a fault passed verification and was stored (line 4: double: * -> +)" in err


def test_probation_suspends_a_stored_fault_and_the_regression_check_holds_the_fix(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`n + 2` is stored (nothing checks it); the hit on "double 5" is on probation: the LLM says
    10, so the version is suspended and 10 served. "double 7" recompiles: the correct module
    differs from the suspended one on more than the rejected case, so the cache refuses it
    and the LLM answers (a person would accept the change)."""
    total, err = fault_run(tmp_path, capsys, DOUBLE, "--fault-rate", "1", "--probation", "2")
    assert (total["faults_planted"], total["faults_caught"], total["faults_suspended"]) == (1, 0, 1)
    assert (total["wrong"], total["probation_calls"], total["recompiles_refused"]) == (0, 1, 1)
    assert total["llm_calls"] == 4  # the compile, the probation check, the refused recompile, the answer
    assert "double: the recompilation was refused: double rejected: it answers differently from version 1" in err


def test_no_faults_at_rate_zero_and_the_same_faults_for_the_same_seed(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    total, _ = fault_run(tmp_path, capsys, DOUBLE)
    assert (total["faults_planted"], total["wrong"], total["llm_calls"]) == (0, 0, 1)
    rows = [workload.Row("double", f"double {n}", str(2 * n)) for n in range(2, 12)]
    lib = tmp_path / "lib"
    picks = [workload.Faults(workload.Library(lib), rows, 0.5, seed).mutant_for("double", rows[0])
             for seed in (0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5)]
    assert picks[:6] == picks[6:]
    assert None in picks and any(picks)  # about half the seeds plant a fault


def test_a_module_without_a_plausible_fault_gets_none(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Every request is the same: no mutant can be right on it and wrong on another.
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "double.sgl").write_text(DOUBLE)
    rows = [workload.Row("double", "double 2", "4")] * 3
    faults = workload.Faults(workload.Library(lib), rows, 1.0, 0)
    assert faults.mutant_for("double", rows[0]) is None
    assert "double: no fault planted" in faults.notes[0]


@pytest.mark.parametrize(("args", "message"), [
    (["--systems", "seglam,other"], "--systems: unknown system 'other' (choose from seglam, exact, similarity)"),
    (["--systems", ","], "--systems: no system named"),
    (["--fault-rate", "1.5"], "--fault-rate must be between 0 and 1, not 1.5"),
    (["--probation", "-1"], "--probation must be 0 or more, not -1"),
])
def test_bad_fault_and_system_options_are_one_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          args: list[str], message: str) -> None:
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"family": "f", "input": "q", "target": "a"}\n')
    assert workload.main(["--requests", str(rows), "--library", str(REPO / "examples" / "bbh"), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_systems_run_in_the_canonical_order_and_only_those(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"family": "f", "input": "q", "target": "a"}\n' * 2)
    code = workload.main(["--requests", str(rows), "--library", str(REPO / "examples" / "bbh"),
                          "--systems", "exact,seglam", "--json"])
    out = capsys.readouterr().out
    assert code == 0 and list(json.loads(out)["systems"]) == ["seglam", "exact"]

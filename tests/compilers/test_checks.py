"""Reply -> candidate module -> problems: each check finds its kind of mistake, and says so usefully."""

from __future__ import annotations

import pytest
from compiler_support import MUL, NO_PARSE, REQUEST, WRONG_MUL

from seglam_lang.cache import ReasoningCache
from seglam_lang.cache.llm_protocol import CompileContext, FailingCase, NearProcedure
from seglam_lang.cache.provenance import with_origin
from seglam_lang.compilers import checks
from seglam_lang.compilers.protocol import Reply
from seglam_lang.syntax.parser import parse

DAYS = '''\
# days.sgl
@when("how many days between {start} and {end}")
proc days_between(start: Date, end: Date) -> Int:
    """Days from start to end."""
    return (end - start).days

example days_between(date(2024, 1, 3), date(2024, 3, 5)) == 62

origin:
    request: "how many days between 2024-01-03 and 2024-03-05?"
    compiler: "hand"
'''


def _context(cache: ReasoningCache, nearest: tuple[NearProcedure, ...] = ()) -> CompileContext:
    return CompileContext(nearest, cache.admission.check_source, ())


def _problems(cache: ReasoningCache, source: str, answer: str, request: str = REQUEST,
              failing: tuple[FailingCase, ...] = ()) -> list[str]:
    return checks.review(checks.Candidate("compile", "multiply", source), request, answer, failing, _context(cache)).problems


def test_a_good_module_has_no_problems(cache: ReasoningCache) -> None:
    assert _problems(cache, MUL, "42") == []
    assert _problems(cache, MUL, " 42. ") == []  # the answer is normalised


@pytest.mark.parametrize(("source", "answer", "request_", "expected"), [
    (MUL.replace("return a * b", 'return "x"'), "42", REQUEST, "does not load:\n"),
    (MUL.replace("{a} times {b}", "{a} times {c}"), "42", REQUEST, "trigger slot `c` is not a parameter"),
    (MUL.replace('@when("what is {a} times {b}")\n', ""), "42", REQUEST, "no @when trigger"),
    (MUL.replace('"what is {a} times {b}"', '"[what is] {a} {b}"'), "42", REQUEST, "error[E0242]: this trigger is too"),
    (MUL.replace('"what is {a} times {b}"', 're"(?s).*(?P<a>\\d+).*(?P<b>\\d+).*"'), "42", REQUEST,
     "error[E0242]"),
    (MUL, "42", "What is 6 multiplied by 7?", "does not answer the request: no trigger matches"),
    (MUL, "42", "what is six times 7", "slot {a}"),
    (MUL, "41", REQUEST, 'returns 42, but your answer is "41"'),
    (WRONG_MUL, "13", REQUEST, "verification failed: example multiply(6, 7) == 42"),
])
def test_each_check_reports_its_mistake(cache: ReasoningCache, source: str, answer: str, request_: str,
                                        expected: str) -> None:
    found = _problems(cache, source, answer, request_)
    assert len(found) == 1 and expected in found[0], found


def test_load_errors_are_rendered_with_the_source_line(cache: ReasoningCache) -> None:
    found = _problems(cache, MUL.replace("return a * b", "return a * bb"), "42")
    assert "return a * bb" in found[0] and "^" in found[0] and "did you mean" in found[0]


def test_rejected_cases_must_get_the_expected_answer(cache: ReasoningCache) -> None:
    case = FailingCase("multiply", "what is 2 times 2", "5")
    assert "a person said the answer is 5" in _problems(cache, MUL, "42", failing=(case,))[0]
    elsewhere = FailingCase("multiply", "what is 2 plus 2", "4")  # the module must answer its own family's cases
    assert "must answer it" in _problems(cache, MUL, "42", failing=(elsewhere,))[0]
    other = FailingCase("adder", "what is 2 plus 2", "4")  # another family's case it does not match: no concern
    assert _problems(cache, MUL, "42", failing=(other,)) == []


def test_candidate_names_the_family_after_its_triggered_proc() -> None:
    source = "proc helper(x: Int) -> Int:\n    return x\n\n" + MUL
    cand = checks.candidate(Reply("compile", "42", module=source), (), (), ())
    assert (cand.kind, cand.family) == ("compile", "multiply")
    taken = checks.candidate(Reply("compile", "42", module=MUL), (), ("multiply", "multiply_2"), ())
    assert taken.family == "multiply_3"
    rejected = checks.candidate(Reply("compile", "42", module=MUL), (), ("multiply",),
                                (FailingCase("multiply", "x", "1"),))
    assert rejected.family == "multiply"  # a rejected family is replaced by its recompilation
    with pytest.raises(checks.Rejected, match="does not parse"):
        checks.candidate(Reply("compile", "42", module=NO_PARSE), (), (), ())


def test_link_adds_the_template_before_the_proc() -> None:
    near = (NearProcedure("days", DAYS),)
    cand = checks.candidate(Reply("link", "62", procedure="days.days_between", template="days from {start} to {end}"),
                            near, ("days",), ())
    assert cand.kind == "link" and cand.family == "days"
    assert '@when("days from {start} to {end}")\n@when("how many days between' in cand.source
    assert cand.source.startswith("# days.sgl\n")
    assert [t.pattern for t in parse(cand.source).procs[0].triggers] == [
        "days from {start} to {end}", "how many days between {start} and {end}"]
    for reply, message in [
        (Reply("link", "1", procedure="nope.f", template="x"), "link only to a procedure shown with the request"),
        (Reply("link", "1", procedure="days.nope", template="x"), "has no proc 'nope'"),
        (Reply("link", "1", procedure="days.days_between", template='@when("x")'), "template text only"),
    ]:
        with pytest.raises(checks.Rejected, match=message):
            checks.candidate(reply, near, ("days",), ())


def test_set_origin_replaces_the_block_and_keeps_other_keys() -> None:
    source = with_origin(DAYS, {"compiler": 'x/"y"', "rounds": "2"})
    tree = parse(source)
    assert tree.origin == {"request": "how many days between 2024-01-03 and 2024-03-05?", "compiler": 'x/"y"',
                           "rounds": "2"}
    assert source.count("origin:") == 1 and source.endswith('    rounds: "2"\n')
    assert source.startswith("# days.sgl\n")
    assert parse(with_origin(MUL, {"request": "a\nb"})).origin == {"request": "a\nb"}


def test_a_compiled_module_may_not_bring_its_own_origin_block() -> None:
    module = MUL + '\norigin:\n    verified_by: "a human reviewer"\n'
    with pytest.raises(checks.Rejected, match=r"line 1[0-9]: remove the `origin:` block: SEGLAM writes"):
        checks.candidate(Reply("compile", "42", module=module), (), (), ())
    allowed_keys_too = MUL + '\norigin:\n    request: "What is 6 times 7?"\n'
    with pytest.raises(checks.Rejected, match="remove the `origin:` block"):
        checks.candidate(Reply("compile", "42", module=allowed_keys_too), (), (), ())


@pytest.mark.parametrize(("value", "answer", "same"), [
    (42, "42", True), (42, "42.0", False), (42, "forty-two", False),
    ("Yes", "yes", True), ("Yes", '"Yes"', True), ("fig pear", "fig  pear", True), ("fig pear", "pear fig", False),
    ([1, 2], "[1, 2]", True), (True, "true", True),
])
def test_answers_are_compared_after_normalising(value: object, answer: str, same: bool) -> None:
    from seglam_lang.check import types as T

    returns = {int: T.INT, str: T.STR, list: T.ListT(T.INT), bool: T.BOOL}[type(value)]
    assert checks.answer_matches(value, answer, returns) is same

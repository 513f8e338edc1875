"""The prompt an LLM compiler sends: a stable prefix and a variable part.

Owns: `Prompt` (what one call sends: the stable `system` text and the conversation
`messages`), `stable_prefix()` (instructions and reply protocol, rules for good procedures,
the SGL reference card with model modules, the stdlib index), `first_message(...)` (the
request, the nearest existing procedures, rejected cases) and `repair_message(...)`
(diagnostics of a reply that did not verify).

Invariants:
- the stable prefix is the same bytes for every request in a process and across processes
  with the same installation (no request data, no clock, no dict-order dependence), so a
  provider's prompt cache can serve it; backends mark its end as the cache breakpoint;
- everything request-specific is in `messages`, which alternate user / assistant and
  start and end with a user turn.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from seglam_lang.cache.llm_protocol import FailingCase, NearProcedure
from seglam_lang.compilers.protocol import REPLY_SCHEMA
from seglam_lang.compilers.reference import reference
from seglam_lang.frozen import frozen

Role = Literal["user", "assistant"]

INSTRUCTIONS = """\
You are the compiler of SEGLAM, a reasoning cache. A user request missed the cache. Instead of
only answering it, write a small SGL procedure that computes the answer to every request of the
same *kind* (the same question with other values), so that the next such request is answered
without you. SGL is a small, typed, Python-shaped language; its reference card follows.

Reply with exactly one JSON object (no prose around it) with these fields:
{schema}

Choose the action:
- "compile": write a new module (field "module": the complete SGL source).
- "link": one of the existing procedures shown with the request already computes the answer to
  this kind of request, but none of its triggers matches this wording. Give "procedure" as
  family.proc and "template": a new @when template (without `@when(` and quotes) that matches
  the request; it is added to that procedure.
- "decline": the request is not procedural (it needs world knowledge, opinion or creative
  writing, or no reusable computation gives its answer). Nothing is cached.
Always fill "answer" with your own answer to the request, reasoned independently of the code
(work it out; do not simulate your procedure), written exactly as the procedure would return it.
SEGLAM checks that the procedure, run on the request, returns your answer; when they differ,
one of the two is wrong, and you will be asked to look again.
"""

RULES = """\
# Rules for good procedures

1. Generalise: every value that varies between requests of this kind (numbers, dates, names,
   lists, the data of the question) is a parameter; constants of the *kind* stay in the code.
2. The trigger must match this request as written, in full (it is anchored at both ends).
   Prefer a template (`@when("how many days between {start} and {end}")`): literal words,
   {slots} named after parameters, [optional parts], (alternatives|like this). A slot's text is
   read by its parameter's type (Int, Decimal, Date, List[T] ... see "Slot readers"). For long
   or multi-line requests, or text a template cannot split, use `@when(re"...")` with named
   groups `(?P<name>...)` as slots (RE2 syntax, matched case-insensitively, line breaks kept).
   Do not make the trigger so loose that it catches requests of another kind.
3. Never guess. Check every assumption about the input with `require cond, "why"`: an input
   the procedure cannot answer with certainty must fail a `require` (the cache then treats the
   request as a miss), never produce a plausible-looking answer.
4. Return the answer in the form the user expects: a Str for a word or phrase answer ("Yes",
   "(B)", a sorted word list), a number type for a number, exact `Decimal` for money.
5. Add at least three `example` lines: one with this request's values and your answer, and
   edge cases. For every `require`, state an input just outside it, right at its boundary:
   `example days_in_month(2024, 13) is not applicable` (a `require` must fail), or
   `example f(x) fails` for an input that must stop with a runtime error; and an `example`
   just inside it. Verification warns of a `require` that no example or property sees both
   holding and failing, and asks you to add the missing example. Add at least one `property` stating an invariant for generated inputs (use
   `require` in it to discard inputs that do not apply); keep properties cheap to run.
6. Name the main procedure after what it computes (`days_between`, not `main`): the module is
   stored under that name. Give it a one-line docstring. Helper procs are fine.
7. Use only what the reference card and the standard library index list (`use std.x`). There
   is no I/O, clock, randomness, `import`, `class`, `try`, `with` or `yield`.
8. Do not write an `origin:` block: SEGLAM writes it.
"""


@frozen
class Message:
    role: Role
    text: str


@frozen
class Prompt:
    """One call: `system` is the stable prefix (cacheable), `messages` the conversation."""

    request: str
    system: str
    messages: tuple[Message, ...]
    call: int = 0  # 0 for the first call for this request, then 1, 2, ... for repairs

    def render(self) -> str:
        """The prompt as readable text (`sgl ask --show-prompt`)."""
        parts = ["=== system (stable prefix, cached) ===", self.system]
        for m in self.messages:
            parts += [f"=== {m.role} ===", m.text]
        return "\n".join(parts) + "\n"


def _stdlib_index() -> str:
    """The stdlib index of `seglam_lang.runtime.stdlib_index`, else the module names (graceful fallback)."""
    try:
        from seglam_lang.runtime.stdlib_index import stdlib_index

        return stdlib_index()
    except Exception:  # an index that cannot be built must not stop compiling
        from seglam_lang.runtime.loader import available

        return "# Standard library\n\nModules: " + ", ".join(sorted(available())) + "\n"


@functools.cache
def stable_prefix() -> str:
    """Instructions, rules, reference card and stdlib index: the same for every request."""
    schema = json.dumps(REPLY_SCHEMA, indent=1, sort_keys=True)
    return "\n\n".join([INSTRUCTIONS.format(schema=schema), RULES, reference(), _stdlib_index()])


def _fence(text: str) -> str:
    """Text inside a fence the text itself cannot close."""
    ticks = "`" * max(3, max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    return f"{ticks}\n{text.rstrip()}\n{ticks}"


def first_message(request: str, nearest: Sequence[NearProcedure], failing: Sequence[FailingCase],
                  host: Mapping[str, Any] | None = None) -> str:
    parts = ["The request (between the lines, exactly as the user wrote it):", _fence(request)]
    if host:
        parts.append("Host functions this application provides (call them like built-ins; nothing else "
                     "outside SGL is reachable):")
        parts.append("\n".join(f"- {name}{entry[0]}" for name, entry in sorted(host.items())))
    if nearest:
        parts.append("Existing procedures that share words with it (link to one only if it computes exactly "
                     "this kind of request):")
        for near in nearest:
            parts += [f"family `{near.family}`:", f"```sgl\n{near.source.rstrip()}\n```"]
    if failing:
        parts.append("Answers a person rejected (a new procedure for these requests must give the expected "
                     "answers):")
        parts += [f"- {case.request!r} should be {case.expected} (procedure `{case.family}` was wrong)"
                  for case in failing]
    parts.append("Reply with the JSON object.")
    return "\n\n".join(parts)


def answer_only_message(request: str) -> str:
    """The one message for a request that was declined or could not be compiled before."""
    return "\n\n".join(["The request (between the lines, exactly as the user wrote it):", _fence(request),
                         "This request was declined, or could not be written as a procedure that verifies, "
                         "before. Do not write a module: reply with action \"decline\" and your own answer."])


def repair_message(diagnostics: Sequence[str], round_: int, rounds: int) -> str:
    items = "\n\n".join(f"- {d}" for d in diagnostics)
    return (f"Your reply needs a repair (repair round {round_} of {rounds}):\n\n{items}\n\n"
            "Fix the problem and reply again with the complete JSON object (for compile: the whole module).")


def build(request: str, messages: Sequence[Message], call: int) -> Prompt:
    return Prompt(request, stable_prefix(), tuple(messages), call)

"""Shared material for the compiler tests: modules a model might write and a scripted backend.

The LLM is scripted; the loop, the checks, the backends' wire formats and the cache are real."""

from __future__ import annotations

from typing import Any

from seglam_lang.compilers.backends import Completion, Usage
from seglam_lang.compilers.prompt import Prompt

REQUEST = "What is 6 times 7?"

MUL = '''\
@when("what is {a} times {b}")
proc multiply(a: Int, b: Int) -> Int:
    """The product of two integers."""
    return a * b

example multiply(6, 7) == 42
example multiply(0, 5) == 0
example multiply(-2, 3) == -6

property commutes(a: Int, b: Int):
    assert multiply(a, b) == multiply(b, a)
'''

WRONG_MUL = MUL.replace("return a * b", "return a + b")  # examples fail, answer disagrees
NO_PARSE = "proc multiply(a: Int, b: Int) -> Int\n    return a * b\n"

COMPILE = {"action": "compile", "module": MUL, "answer": "42", "notes": "integer product"}
DECLINE = {"action": "decline", "answer": "Paris"}


SCRIPTED_USAGE = Usage(100, 50, 1000)


class Scripted:
    """A backend that returns the given replies in order and keeps every prompt it was sent."""

    name = "scripted"
    model = "test-model"

    def __init__(self, *replies: str | dict[str, Any], usage: Usage = SCRIPTED_USAGE) -> None:
        self.replies = list(replies)
        self.usage = usage
        self.prompts: list[Prompt] = []

    def complete(self, prompt: Prompt) -> Completion:
        self.prompts.append(prompt)
        return Completion(self.replies.pop(0), self.usage)

"""What `sgl ask` does once its command line is read, shared by the click command and the lean path.

Owns `ask(...)` (open the cache, answer, print, close), `cache_errors` (cache failures as
one-line messages and exit codes, for every cache command), and `deferred_compiler` (the
compiler a miss builds from the options and the environment).

Invariants: imports neither click nor the cache until called; a hit builds no compiler
and imports no LLM SDK (the compiler is configured by `seglam_lang.compilers` only when a
spec or the environment names one, and built on the first miss); the cache is closed
before `ask` returns or exits, so its request-log row is written.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from seglam_lang.cli.failures import EXIT_FAILURE, EXIT_MISS, echo, fail

if TYPE_CHECKING:
    from seglam_lang.compilers import Deferred

F = TypeVar("F", bound=Callable[..., Any])


def cache_errors(fn: F) -> F:
    """Turn cache errors into one-line messages and exit codes."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        from seglam_lang.cache import CacheError, CacheMiss

        try:
            return fn(*args, **kwargs)
        except CacheMiss as e:
            fail(str(e), EXIT_MISS)
        except CacheError as e:
            fail(str(e), EXIT_FAILURE, error_code=e.diagnostic.code)
        except sqlite3.Error as e:
            fail(f"cache index error: {e} (try `sgl cache reindex`)", EXIT_FAILURE)
        except OSError as e:
            fail(f"{e.filename or 'cache'}: {e.strerror or e}", EXIT_FAILURE)

    return run  # type: ignore[return-value]


def literal(value: Any) -> str:
    """An answer as `sgl` prints it: a `Str` as plain text, anything else as an SGL literal."""
    from seglam_lang.runtime.values import format_value

    return value if isinstance(value, str) else format_value(value)


def json_value(value: Any) -> Any:
    from seglam_lang.runtime.convert import to_json

    return to_json(value)


def deferred_compiler(spec: str | None, record: str | None, max_rounds: int, max_llm_calls: int | None,
                      show_prompt: bool) -> Deferred | None:
    """The compiler these options and the environment configure, built on the first miss; None
    when there is none (issue "LLM compilers")."""
    from seglam_lang.compilers import Deferred, configured, resolve_spec

    spec = resolve_spec(spec)
    if spec is None:
        return None
    return Deferred(lambda: configured(spec, record=record, max_rounds=max_rounds, max_llm_calls=max_llm_calls,
                                       show_prompt=show_prompt))


@cache_errors
def ask(request: str, as_json: bool, cache_dir: str | None, compiler_spec: str | None = None,
        record: str | None = None, show_prompt: bool = False, max_rounds: int = 3,
        max_llm_calls: int | None = None, probation: int = 0) -> None:
    """Answer `request` through the cache named by `cache_dir` and print the answer (see `sgl ask`)."""
    from seglam_lang.cache import ReasoningCache
    from seglam_lang.cli.cachedir import cache_location

    with ReasoningCache(cache_location(cache_dir), probation=probation) as cache:
        cache.compiler = deferred_compiler(compiler_spec, record, max_rounds, max_llm_calls, show_prompt)
        answer = cache.ask(request)
        if answer.prompt is not None:  # --show-prompt on a miss: the prompt is the output
            echo(answer.prompt, nl=False)
            return
        for problem in cache.problems:
            echo(f"sgl: warning: {problem}", err=True)
        if as_json:
            echo(json.dumps({
                "answer": json_value(answer.value), "hit": answer.hit, "procedure": answer.procedure,
                "version": answer.version, "args": {k: json_value(v) for k, v in answer.arg_values.items()},
                "elapsed_ms": round(answer.elapsed_ms, 3), "load_ms": round(answer.load_ms, 3),
                "llm_calls": answer.llm_calls,
            }, ensure_ascii=False))
        else:
            echo(literal(answer.value))

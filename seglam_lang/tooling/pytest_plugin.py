"""The pytest plugin (entry point `pytest11`): the examples and properties of `.sgl` files as test items.

Owns: deciding which `.sgl` files pytest collects, one item per `example` and `property`
(`file.sgl::example_line_12`, `file.sgl::never_negative`), running each one through the
verifier alone (`seglam_lang.verify` with `select`), and reporting a failure exactly as
`sgl test` prints it (both sides of a comparison, the shrunk counterexample).

Opting in. Installing SEGLAM must not change what any project's test suite collects, so
`.sgl` files are collected only when asked for:
- `pytest --sgl PATH...`, or `sgl_collect = true` in the project's pytest configuration,
  collects every `*.sgl` file under the paths pytest walks;
- an `.sgl` file named on the command line (`pytest procs/basket.sgl`) is always collected.
Settings (ini): `sgl_seed` (default 0: the same inputs every run), `sgl_max_examples`
(100), `sgl_time_budget` (seconds per property, 5).

Invariants:
- importing this module imports pytest and the standard library only: SEGLAM's runtime
  and Hypothesis are loaded when an `.sgl` file is collected, so every other pytest run
  pays nothing for the plugin being installed;
- a file that does not load is a collection error showing its diagnostics (no traceback);
- item names are stable: they depend on the file, the example's line and the property's
  name, never on order or on the run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sgl", "SGL examples and properties (seglam-lang)")
    group.addoption("--sgl", action="store_true", default=None,
                    help="collect the examples and properties of *.sgl files as tests")
    parser.addini("sgl_collect", "collect the examples and properties of *.sgl files as tests", type="bool",
                  default=False)
    parser.addini("sgl_seed", "seed for the generated inputs of SGL properties (default 0)", default="0")
    parser.addini("sgl_max_examples", "inputs tried per SGL property (default 100)", default="100")
    parser.addini("sgl_time_budget", "seconds per SGL property for finding a failure (default 5)", default="5")


def _enabled(config: pytest.Config) -> bool:
    flag = config.getoption("sgl")
    return bool(flag) if flag is not None else bool(config.getini("sgl_collect"))


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix != ".sgl":
        return None
    if _enabled(parent.config) or parent.session.isinitpath(file_path):
        return SglFile.from_parent(parent, path=file_path)
    return None


def _setting(config: pytest.Config, name: str, convert: type) -> Any:
    raw = config.getini(name)
    try:
        return convert(raw)
    except ValueError:
        raise pytest.UsageError(f"ini option {name} = {raw!r}: expected {convert.__name__}") from None


class SglFile(pytest.File):
    """One `.sgl` file: loaded once, one item per example and property."""

    module: Any = None

    def collect(self) -> Iterator[pytest.Item]:
        from seglam_lang.errors import SglError
        from seglam_lang.runtime.embedding import load

        try:
            # The path as pytest shows it (relative to the working directory), as `sgl test` shows the path given.
            self.module = load(os.path.relpath(self.path))
        except SglError as e:
            try:
                source = self.path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                source = None
            raise self.CollectError(e.render(source)) from None
        for ex in self.module.examples:
            yield SglItem.from_parent(self, name=f"example_line_{ex.span.line}", kind="example",
                                      line=ex.span.line, label=ex.text)
        for name, case in self.module.properties.items():
            yield SglItem.from_parent(self, name=name, kind="property", line=case.span.line,
                                      label=name)


class SglCheckFailed(Exception):
    """A check that did not pass; `check` is its `CheckResult`."""

    def __init__(self, check: Any) -> None:
        super().__init__(check.status)
        self.check = check


class SglItem(pytest.Item):
    """One `example` (by its line) or `property` (by its name) of an `.sgl` file."""

    def __init__(self, *, kind: str, line: int, label: str, **kw: Any) -> None:
        super().__init__(**kw)
        self.kind = kind
        self.line = line
        self.label = label

    def runtest(self) -> None:
        from seglam_lang.verify import verify

        config = self.config
        module = self.parent.module  # type: ignore[attr-defined]
        report = verify(module, seed=_setting(config, "sgl_seed", int),
                        max_examples=_setting(config, "sgl_max_examples", int),
                        time_budget=_setting(config, "sgl_time_budget", float),
                        select=f"{self.kind} {self.label}".__eq__)
        # Two examples may read the same: this item is the one on its line.
        (check,) = [c for c in report.checks if c.line == self.line]
        if not check.passed:
            raise SglCheckFailed(check)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, SglCheckFailed):
            from seglam_lang.verify.report import render_check

            return render_check(excinfo.value.check)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.line - 1, f"{self.kind} {self.label}"

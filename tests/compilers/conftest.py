"""The fixtures of the compiler tests: a cache, and a loopback OpenAI-compatible server
(shared material is in `compiler_support`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from compiler_support import ChatServer

from seglam_lang.cache import ReasoningCache


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[ReasoningCache]:
    rc = ReasoningCache(tmp_path / "cache", verify_options={"max_examples": 20, "time_budget": 2.0})
    yield rc
    rc.close()


@pytest.fixture
def server() -> Iterator[ChatServer]:
    s = ChatServer()
    s.thread.start()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()

"""Shared pytest setup: its presence puts `tests/` on sys.path, so test modules import
the reusable Hypothesis strategies as `from strategies.ast_strategies import ...`; and the
cache-store fixtures: `postgres_url` (a fresh PostgreSQL database per test; more from
`new_postgres_database`) and `store_url`
(one test per backend: a fresh folder, a fresh database)."""

from __future__ import annotations

import os
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# PostgreSQL for the cache's shared store: the server `$SGL_TEST_POSTGRES` names. Without one
# the PostgreSQL tests skip with one line, unless `$SGL_TEST_POSTGRES_REQUIRED=1` (.ci/run sets
# it), which turns that skip into a failure.
POSTGRES_ADMIN_URL = os.environ.get("SGL_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The URL of a reachable PostgreSQL server's admin database (else skip, or fail in CI)."""
    try:
        import psycopg
    except ImportError:
        reason = "psycopg is not installed (pip install 'seglam-lang[postgres]')"
    else:
        try:
            psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3).close()
            return POSTGRES_ADMIN_URL
        except psycopg.Error as e:
            reason = f"no PostgreSQL server at $SGL_TEST_POSTGRES={POSTGRES_ADMIN_URL}: {' '.join(str(e).split())}"
    if os.environ.get("SGL_TEST_POSTGRES_REQUIRED") == "1":
        pytest.fail(f"PostgreSQL tests are required here: {reason}")
    pytest.skip(reason)


@pytest.fixture
def new_postgres_database(postgres_server: str) -> Iterator[Callable[[], str]]:
    """Make fresh, empty databases for one test (each dropped after it, connections and all)."""
    import psycopg
    from psycopg import sql

    made: list[str] = []

    def make() -> str:
        name = f"sgl_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(postgres_server, autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        made.append(name)
        return urllib.parse.urlunsplit(urllib.parse.urlsplit(postgres_server)._replace(path=f"/{name}"))

    yield make
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        for name in made:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def postgres_url(new_postgres_database: Callable[[], str]) -> str:
    """A fresh, empty database for one test."""
    return new_postgres_database()


@pytest.fixture(params=["folder", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a fresh cache lives: a folder, or a fresh PostgreSQL database."""
    if request.param == "folder":
        return str(tmp_path / "cache")
    return request.getfixturevalue("postgres_url")


@pytest.fixture(params=["tree", "jit"])
def both_tiers(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test once per execution tier (spec/tiers.md): modules it loads use that tier."""
    monkeypatch.setenv("SGL_TIER", request.param)
    return request.param


CACHE_MODULES = Path(__file__).parent / "cache" / "modules"  # the module set of the cache tests


@pytest.fixture
def cli_cache(tmp_path: Path) -> str:
    """A cache folder filled with the cache tests' modules through `sgl cache add`."""
    from click.testing import CliRunner

    from seglam_lang.cli import main

    d = str(tmp_path / "cache")
    result = CliRunner().invoke(main, ["cache", "add", *map(str, sorted(CACHE_MODULES.glob("*.sgl"))), "--cache", d])
    assert result.exit_code == 0, result.output
    return d

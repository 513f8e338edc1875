"""Shared pytest setup: its presence puts `tests/` on sys.path, so test modules import
the reusable Hypothesis strategies as `from strategies.ast_strategies import ...`."""

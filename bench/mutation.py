"""Mutation score of SGL modules: how many small bugs do a module's own checks catch?

Usage:
    python bench/mutation.py examples/ stdlib/ [--json] [--max-examples N] [--time-budget S]
                             [--limit-per-file N] [--no-diff] [--jobs N]

For every `.sgl` file whose own examples and properties pass, each *procedure* is mutated
one small change at a time by rewriting its AST (`attrs.evolve`) and printing it back
with the SGL printer:

    compare   flip a comparison: `<` to `<=` / `>=`, `==` to `!=`, `in` to `not in`...
    const     off-by-one an int constant: `n` to `n + 1` and `n - 1`
    boolop    swap `and` / `or`
    arith     replace an arithmetic operator: `+` to `-`, `*` to `+`, `//` to `%`...
    unary     drop a unary `not` / `-`
    negate-if negate an `if` / `while` condition
    drop      drop one statement of a block that has more than one
    minmax    swap the built-ins `min` / `max`, `any` / `all`
    return    return a different value: `0`/`1`, `""`, `[]`, `None`, `not e`, `-e`

Each mutant is loaded (the parser and checker run on its printed text) and verified with
the module's own checks (`seglam_lang.verify`, small `--max-examples`, a time budget),
skipping the checks that cannot reach the mutated procedure (no chain of name references
from the check to it through procedures, constants and record defaults: such a check runs
the same code on the mutant as on the original, so it cannot kill it):

    killed-by-checker  the mutant does not parse or check
    killed             an example or property fails on the mutant (or a run errors)
    equivalent         provably the same program (rule below); excluded from the score
    survived           everything passed

Equivalence rule (documented, deliberately conservative): a mutant is *equivalent* when
its printed text is identical to the original's, or to the text of a mutant already
tried (a duplicate is counted once), or when it is listed in the reviewed list
`bench/equivalent_mutants.json` (`--equivalent FILE` names another): each entry names the
file, the procedure, the mutation and the reason a person found it to be the same program
(or a change no caller can observe), keyed by a hash of the mutated procedure's printed
text. The key changes when the procedure changes, so an entry never silently covers a
different mutant: it then no longer matches, the mutant is run again and the stale entry
is reported. Survivors are then run against the original on
the procedures' boundary inputs and on generated arguments (`--no-diff` skips this),
`--diff-inputs` of each per procedure: those where some argument gives a
different result or error are reported as *distinguishable* (a test gap the report
lists); the rest are *no difference found* (likely, not provably, equivalent).

Score = (killed + killed-by-checker) / (mutants - equivalent), per file and overall;
a second figure also excludes the "no difference found" survivors.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from seglam_lang import loads
from seglam_lang.errors import LimitExceeded, SglError, SglSyntaxError, SglTypeError
from seglam_lang.frozen import asdict, evolve, frozen
from seglam_lang.runtime.limits import Limits
from seglam_lang.syntax import ast
from seglam_lang.syntax.parser import parse
from seglam_lang.syntax.printer import print_module
from seglam_lang.verify.runner import verify

# A mutant that loops forever must not stall the run: each call gets a short timeout.
MUTANT_LIMITS = Limits(timeout=2.0)

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENT_FILE = ROOT / "bench" / "equivalent_mutants.json"

# ---------------------------------------------------------------- AST paths

# A path from the module to a node: (field name, index in a tuple field or None) steps.
Path_ = tuple[tuple[str, int | None], ...]


def _fields(n: object) -> Iterator[tuple[str, int | None, object]]:
    for a in n.__frozen_fields__:  # type: ignore[attr-defined]
        if a.name == "span":
            continue
        v = getattr(n, a.name)
        if isinstance(v, tuple):
            for i, item in enumerate(v):
                if hasattr(item, "__frozen_fields__"):
                    yield a.name, i, item
        elif hasattr(v, "__frozen_fields__"):
            yield a.name, None, v


def nodes_with_paths(root: object, path: Path_ = ()) -> Iterator[tuple[Path_, object]]:
    """Every node under `root` with its path, pre-order (trees are shallow enough to recurse)."""
    yield path, root
    for name, index, child in _fields(root):
        yield from nodes_with_paths(child, (*path, (name, index)))


def replace_at(root: Any, path: Path_, new: object) -> Any:
    """A copy of `root` with the node at `path` replaced by `new` (None in a tuple removes it)."""
    if not path:
        return new
    (name, index), rest = path[0], path[1:]
    child = getattr(root, name)
    if index is None:
        return evolve(root, **{name: replace_at(child, rest, new)})
    replaced = replace_at(child[index], rest, new)
    items = child[:index] + ((replaced,) if replaced is not None else ()) + child[index + 1:]
    return evolve(root, **{name: items})


# ---------------------------------------------------------------- mutation operators

_COMPARE = {
    "<": ("<=", ">="), "<=": ("<", ">"), ">": (">=", "<="), ">=": (">", "<"),
    "==": ("!=",), "!=": ("==",), "in": ("not in",), "not in": ("in",), "is": ("is not",), "is not": ("is",),
}
_ARITH = {"+": ("-",), "-": ("+",), "*": ("+", "//"), "/": ("*",), "//": ("%", "*"), "%": ("//",), "**": ("*",)}
_SWAP_NAMES = {"min": "max", "max": "min", "any": "all", "all": "any"}

Mutation = tuple[str, str, object]  # (operator, description, replacement node or None to drop)


def _mutations_of(n: object, parent_block_len: int | None) -> Iterator[Mutation]:
    """The mutations of one node. `parent_block_len` is the length of the statement block it is in."""
    if isinstance(n, ast.Compare):
        for i, op in enumerate(n.ops):
            for new in _COMPARE.get(op, ()):
                ops = (*n.ops[:i], new, *n.ops[i + 1:])
                yield "compare", f"{op} -> {new}", evolve(n, ops=ops)
    elif isinstance(n, ast.IntLit):
        for d in (1, -1):
            yield "const", f"{n.value} -> {n.value + d}", evolve(n, value=n.value + d)
    elif isinstance(n, ast.BoolOp):
        new = "or" if n.op == "and" else "and"
        yield "boolop", f"{n.op} -> {new}", evolve(n, op=new)
    elif isinstance(n, ast.BinOp):
        for new in _ARITH.get(n.op, ()):
            yield "arith", f"{n.op} -> {new}", evolve(n, op=new)
    elif isinstance(n, ast.UnaryOp) and n.op in ("not", "-"):
        yield "unary", f"drop unary {n.op}", n.operand
    elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in _SWAP_NAMES:
        new = _SWAP_NAMES[n.func.id]
        yield "minmax", f"{n.func.id} -> {new}", evolve(n, func=evolve(n.func, id=new))
    elif isinstance(n, ast.Return) and n.value is not None:
        for desc, value in _other_returns(n.value):
            yield "return", desc, evolve(n, value=value)
    if isinstance(n, (ast.If, ast.While)):
        yield "negate-if", f"negate {type(n).__name__.lower()} condition", evolve(
            n, test=ast.UnaryOp("not", n.test, span=n.test.span))
    if parent_block_len is not None and parent_block_len > 1:
        yield "drop", f"drop {type(n).__name__} statement", None


def _other_returns(e: object) -> Iterator[tuple[str, object]]:
    """Different values to return instead of `e`, chosen by the shape of `e` (no types needed:
    a replacement of the wrong type is simply killed by the checker)."""
    if isinstance(e, ast.IntLit):
        yield f"return {e.value + 1}", ast.IntLit(e.value + 1)
        return
    if isinstance(e, ast.BoolLit):
        yield f"return {not e.value}", ast.BoolLit(not e.value)
        return
    if isinstance(e, ast.Compare | ast.BoolOp) or (isinstance(e, ast.UnaryOp) and e.op == "not"):
        yield "return not e", ast.UnaryOp("not", e)
        return
    if isinstance(e, ast.StrLit) and e.value == "":
        yield 'return "x"', ast.StrLit("x")
        return
    if isinstance(e, ast.StrLit | ast.FString):
        yield 'return ""', ast.StrLit("")
        return
    if isinstance(e, ast.ListExpr | ast.ListComp):
        yield "return []", ast.ListExpr(())
        return
    if isinstance(e, ast.NoneLit):
        return
    # An expression of unknown type: try the common zero values; the checker kills the ill-typed.
    yield "return 0", ast.IntLit(0)
    yield "return -e", ast.UnaryOp("-", e)
    yield "return None", ast.NoneLit()


_BLOCK_FIELDS = ("body", "orelse")


def mutants(tree: ast.Module) -> Iterator[tuple[str, str, int, ast.Module]]:
    """(operator, description, source line, mutated module) for every mutation inside a procedure."""
    for di, decl in enumerate(tree.decls):
        if not isinstance(decl, ast.ProcDecl):
            continue
        for path, n in nodes_with_paths(decl, (("decls", di),)):
            last = path[-1] if len(path) > 1 else None
            block_len = None
            if last is not None and last[0] in _BLOCK_FIELDS and last[1] is not None:
                parent = _node_at(tree, path[:-1])
                block_len = len(getattr(parent, last[0]))
            for op, desc, new in _mutations_of(n, block_len):
                yield op, f"{decl.name}: {desc}", n.span.line, replace_at(tree, path, new)


def mutant_key(mutated: ast.Module, proc: str) -> str:
    """A stable name for a mutant: a hash of the printed text of its mutated procedure (so edits
    elsewhere in the file keep it, and any change to the procedure retires it)."""
    decl = next(d for d in mutated.decls if isinstance(d, ast.ProcDecl) and d.name == proc)
    return hashlib.sha256(print_module(ast.Module((decl,))).encode()).hexdigest()[:16]


def proc_of(description: str) -> str:
    """The procedure a mutant's description (`name: change`) names."""
    return description.split(":", 1)[0]


def repo_path(path: Path) -> str:
    """`path` relative to the repository (how the reviewed list names files), else as given."""
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return path.as_posix()


def load_equivalents(file: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """The reviewed list of equivalent mutants: (file, key) -> its entry (with `reason`)."""
    if not file.exists():
        return {}
    data = json.loads(file.read_text(encoding="utf-8"))
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in data["mutants"]:
        if not entry.get("reason", "").strip():
            raise ValueError(f"{file}: the entry for {entry['file']} {entry['mutant']} gives no reason")
        out[(entry["file"], entry["key"])] = entry
    return out


def _references(tree: ast.Module) -> dict[str, set[str]]:
    """Each top-level name (procedure, constant, record) and the top-level names its code refers to."""
    names = {d.name for d in tree.decls if isinstance(d, ast.ProcDecl | ast.ConstDecl | ast.RecordDecl)}
    return {d.name: {n.id for n in ast.walk(d) if isinstance(n, ast.Name) and n.id in names}
            for d in tree.decls if isinstance(d, ast.ProcDecl | ast.ConstDecl | ast.RecordDecl)}


def _reaches(roots: set[str], target: str, refs: dict[str, set[str]]) -> bool:
    """Does a chain of references from `roots` lead to `target`?"""
    seen, todo = set(), list(roots)
    while todo:
        name = todo.pop()
        if name == target:
            return True
        if name not in seen:
            seen.add(name)
            todo.extend(refs.get(name, ()))
    return False


def checks_reaching(module: Any, proc: str) -> set[str]:
    """The labels (as `verify(select=...)` sees them) of the checks of `module` whose code can
    call `proc`: a check that cannot runs identical code on a mutant of `proc`."""
    refs = _references(module.tree)
    wanted_lines, wanted_props = set(), set()
    for d in module.tree.decls:
        if isinstance(d, ast.ExampleDecl | ast.PropertyDecl):
            used = {n.id for n in ast.walk(d) if isinstance(n, ast.Name)}
            if _reaches(used, proc, refs):
                if isinstance(d, ast.PropertyDecl):
                    wanted_props.add(d.name)
                else:
                    wanted_lines.add(d.span.line)
    return ({f"example {ex.text}" for ex in module.examples if ex.span.line in wanted_lines}
            | {f"property {name}" for name in wanted_props})


def _node_at(root: Any, path: Path_) -> Any:
    for name, index in path:
        root = getattr(root, name) if index is None else getattr(root, name)[index]
    return root


# ---------------------------------------------------------------- running


@frozen
class MutantResult:
    operator: str
    description: str
    line: int
    status: str  # killed-by-checker | killed | equivalent | survived
    detail: str = ""
    key: str = ""


@frozen
class FileResult:
    file: str
    status: str  # "ok", or why the file was skipped
    mutants: tuple[MutantResult, ...] = ()
    seconds: float = 0.0
    stale: tuple[str, ...] = ()  # reviewed-equivalent entries for this file that matched no mutant

    def count(self, status: str) -> int:
        return sum(1 for m in self.mutants if m.status == status)

    @property
    def killed(self) -> int:
        return self.count("killed") + self.count("killed-by-checker")

    @property
    def non_equivalent(self) -> int:
        return len(self.mutants) - self.count("equivalent")

    @property
    def likely_equivalent(self) -> int:
        return sum(1 for m in self.mutants if m.status == "survived" and m.detail.startswith("no difference found"))

    def to_json(self) -> dict[str, object]:
        return {
            "file": self.file, "status": self.status, "seconds": round(self.seconds, 2),
            "mutants": len(self.mutants), "killed": self.count("killed"),
            "killed_by_checker": self.count("killed-by-checker"), "equivalent": self.count("equivalent"),
            "survived": self.count("survived"), "likely_equivalent": self.likely_equivalent,
            "score": _score(self.killed, self.non_equivalent),
            "score_excluding_likely_equivalent": _score(self.killed, self.non_equivalent - self.likely_equivalent),
            "reviewed_equivalent": sum(1 for m in self.mutants if m.detail.startswith("reviewed:")),
            "survivors": [asdict(m) for m in self.mutants if m.status == "survived"],
            "stale_equivalent_entries": list(self.stale),
        }


def _score(killed: int, total: int) -> float | None:
    return round(killed / total, 4) if total else None


def _differs(original: Any, mutant: Any, mutated: str, n_inputs: int) -> str | None:
    """Run each procedure of both modules that can call the mutated one on boundary inputs and
    generated arguments; describe the first difference."""
    refs = _references(original.tree)
    for name, info in original.procs.items():
        if name in mutant.procs and _reaches({name}, mutated, refs):
            difference = _diff_proc(original, mutant, name, info, n_inputs)
            if difference:
                return difference
    return None


def _diff_proc(original: Any, mutant: Any, name: str, info: Any, n_inputs: int) -> str | None:
    from hypothesis import HealthCheck, Verbosity, given, settings
    from hypothesis import seed as hseed

    from seglam_lang.runtime.values import format_value
    from seglam_lang.verify.edges import boundary_inputs
    from seglam_lang.verify.narrowing import compared_numbers, constraints_for
    from seglam_lang.verify.strategies import params_strategy

    decl = next(d for d in original.tree.decls if isinstance(d, ast.ProcDecl) and d.name == name)
    # Inputs within the proc's own leading `require`s, so the diff tests its domain.
    constraints = constraints_for(decl)
    try:
        strategy = params_strategy(info.sig.params, info.defaults(), constraints=constraints)
    except SglError:
        return None  # a parameter type that cannot be generated (functions, type variables)

    def outcome(module: Any, kwargs: dict[str, object]) -> str | None:
        try:
            return "value " + format_value(module.call_sgl(name, [], dict(kwargs), limits=MUTANT_LIMITS))
        except LimitExceeded:
            return None  # a limit (the timeout above all) says nothing about the program's meaning
        except SglError as e:
            return f"error {type(e).__name__}"

    found: list[str] = []

    def compare(kwargs: dict[str, object]) -> None:
        if found:
            return  # one difference is enough; the remaining inputs cost nothing
        a, b = outcome(original, kwargs), outcome(mutant, kwargs)
        if a is not None and b is not None and a != b:
            args = ", ".join(f"{k}={format_value(v)}" for k, v in kwargs.items())
            found.append(f"{name}({args}): original gives {a}, mutant gives {b}")

    # The edges first (as `verify` tries them), then generated inputs.
    for kwargs in boundary_inputs(info.sig.params, info.defaults(), constraints=constraints,
                                  numbers=compared_numbers(original.tree), limit=n_inputs):
        compare(kwargs)
    test = settings(max_examples=n_inputs, database=None, deadline=None, verbosity=Verbosity.quiet,
                    suppress_health_check=list(HealthCheck))(given(strategy)(compare))
    hseed(0)(test)()
    return found[0] if found else None


def run_file(path: Path, *, max_examples: int, time_budget: float, limit: int | None,
             diff_inputs: int, equivalents: dict[tuple[str, str], dict[str, Any]] | None = None) -> FileResult:
    t0 = time.perf_counter()
    name = repo_path(path)
    reviewed = {key: e for (f, key), e in (equivalents or {}).items() if f == name}
    used: set[str] = set()
    source = path.read_text(encoding="utf-8")
    try:
        original = loads(source, name=path.stem)
    except SglError as e:
        return FileResult(str(path), f"skipped: does not load ({e})")
    base = verify(original, max_examples=max_examples, time_budget=time_budget)
    if not base.passed:
        # Once more: on a loaded machine a slow check can hit its time limit; a file whose checks
        # really fail fails again (and is skipped, naming the check).
        base = verify(original, max_examples=max_examples, time_budget=time_budget)
    if not base.passed:
        first = base.failures[0]
        return FileResult(str(path), f"skipped: its own checks fail ({base.summary()}; first: {first.kind} "
                                     f"{first.name}: {first.status})")
    tree = parse(source, str(path))
    seen = {print_module(tree)}
    results: list[MutantResult] = []
    for i, (op, desc, line, mutated) in enumerate(mutants(tree)):
        if limit is not None and i >= limit:
            break
        text = print_module(mutated)
        if text in seen:
            results.append(MutantResult(op, desc, line, "equivalent", "same printed program"))
            continue
        seen.add(text)
        key = mutant_key(mutated, proc_of(desc))
        if key in reviewed:
            used.add(key)
            results.append(MutantResult(op, desc, line, "equivalent", "reviewed: " + reviewed[key]["reason"], key))
            continue
        result = _run_mutant(original, text, path, op, desc, line, max_examples, time_budget, diff_inputs)
        results.append(evolve(result, key=key))
    if not results:
        # e.g. a stdlib file that only documents and checks native functions
        return FileResult(str(path), "skipped: no SGL procedure to mutate", (), time.perf_counter() - t0)
    stale = tuple(f"{e['mutant']} ({key})" for key, e in reviewed.items() if key not in used)
    return FileResult(str(path), "ok", tuple(results), time.perf_counter() - t0,
                      stale if limit is None else ())


def _run_mutant(original: Any, text: str, path: Path, op: str, desc: str, line: int,
                max_examples: int, time_budget: float, diff_inputs: int) -> MutantResult:
    try:
        module = loads(text, name=path.stem)
    except (SglSyntaxError, SglTypeError) as e:
        return MutantResult(op, desc, line, "killed-by-checker", str(e))
    # The first failure kills the mutant: no need to shrink it or to run the other checks.
    wanted = checks_reaching(module, proc_of(desc))
    report = verify(module, max_examples=max_examples, time_budget=time_budget, limits=MUTANT_LIMITS,
                    fail_fast=True, shrink=False, select=wanted.__contains__)
    if not report.passed:
        first = report.failures[0]
        return MutantResult(op, desc, line, "killed", f"{first.kind} {first.name}: {first.status}")
    if diff_inputs <= 0:
        return MutantResult(op, desc, line, "survived")
    difference = _differs(original, module, proc_of(desc), diff_inputs)
    if difference is None:
        return MutantResult(op, desc, line, "survived", f"no difference found on {diff_inputs} inputs per procedure")
    return MutantResult(op, desc, line, "survived", f"distinguishable: {difference}")


def _collect(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for p in map(Path, paths):
        files.extend(sorted(p.rglob("*.sgl")) if p.is_dir() else [p])
    return files


def _render(results: list[FileResult], seconds: float) -> str:
    lines = []
    for r in results:
        if r.status != "ok":
            lines.append(f"{r.file}: {r.status}")
            continue
        j = r.to_json()
        score = "n/a" if j["score"] is None else f"{j['score']:.0%}"
        lines.append(f"{r.file}: {score} killed ({r.killed}/{r.non_equivalent}; by checker "
                     f"{j['killed_by_checker']}, equivalent {j['equivalent']}, survived {j['survived']}, "
                     f"of which no difference found {j['likely_equivalent']})")
        for m in r.mutants:
            if m.status == "survived":
                lines.append(f"    survived line {m.line}: {m.description} (key {m.key})  [{m.detail}]")
        lines.extend(f"    stale reviewed-equivalent entry: {e}" for e in r.stale)
    total = _overall(results)
    lines.append(f"overall: {total['score_text']} of {total['non_equivalent']} non-equivalent mutants killed "
                 f"({total['killed']} killed, {total['killed_by_checker']} of them by the checker; "
                 f"{total['likely_equivalent']} survivors showed no difference: "
                 f"{total['score_excluding_text']} excluding them) in {seconds:.0f}s")
    return "\n".join(lines)


def _overall(results: list[FileResult]) -> dict[str, Any]:
    ok = [r for r in results if r.status == "ok"]
    killed = sum(r.killed for r in ok)
    non_eq = sum(r.non_equivalent for r in ok)
    likely = sum(r.likely_equivalent for r in ok)
    score, score_ex = _score(killed, non_eq), _score(killed, non_eq - likely)
    return {
        "files": len(results), "files_tested": len(ok), "mutants": sum(len(r.mutants) for r in ok),
        "non_equivalent": non_eq, "killed": killed,
        "killed_by_checker": sum(r.count("killed-by-checker") for r in ok), "likely_equivalent": likely,
        "equivalent": sum(r.count("equivalent") for r in ok),
        "reviewed_equivalent": sum(r.to_json()["reviewed_equivalent"] for r in ok),
        "score": score, "score_excluding_likely_equivalent": score_ex,
        "score_text": "n/a" if score is None else f"{score:.1%}",
        "score_excluding_text": "n/a" if score_ex is None else f"{score_ex:.1%}",
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--max-examples", type=int, default=50)
    ap.add_argument("--time-budget", type=float, default=2.0)
    ap.add_argument("--limit-per-file", type=int, default=None, help="stop after N mutants per file")
    ap.add_argument("--diff-inputs", type=int, default=100, help="inputs per procedure for the survivor diff")
    ap.add_argument("--no-diff", action="store_true")
    ap.add_argument("--jobs", type=int, default=1, help="files mutated in parallel processes")
    ap.add_argument("--equivalent", type=Path, default=EQUIVALENT_FILE,
                    help="the reviewed list of equivalent mutants (default bench/equivalent_mutants.json)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    options = {"max_examples": args.max_examples, "time_budget": args.time_budget, "limit": args.limit_per_file,
               "diff_inputs": 0 if args.no_diff else args.diff_inputs,
               "equivalents": load_equivalents(args.equivalent)}
    files = _collect(args.paths)
    # Files are independent: with --jobs N they are mutated in N processes (results keep file order).
    with ProcessPoolExecutor(args.jobs) as pool:
        futures = [pool.submit(run_file, f, **options) for f in files]
        for future in as_completed(futures):
            r = future.result()
            # A line per file on stderr as it finishes: a whole run takes minutes.
            score = r.to_json()["score"] if r.status == "ok" else None
            print(f"{r.file}: {r.status}" + ("" if score is None else f", {score:.0%} of {r.non_equivalent} killed")
                  + f" ({r.seconds:.0f}s)", file=sys.stderr, flush=True)
        results = [f.result() for f in futures]
    seconds = time.perf_counter() - t0
    if args.json:
        print(json.dumps({"overall": _overall(results), "seconds": round(seconds, 1),
                          "files": [r.to_json() for r in results]}, indent=2))
    else:
        print(_render(results, seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The JIT tier: checked procs translated to Python source, compiled by CPython, run with only the project's natives.

Owns: `tier_up(mc, limits)` (the tier policy: at load, every proc and property that translates
runs as generated Python; the others stay on the tree-walker), `effective_tier` (the choice of
`Limits.tier` and `$SGL_TIER`), and the cache key of a translation.

Pipeline: `translate` (checked tree -> Python source + link keys) -> `validate` (an allow-list
of the generated Python) -> `compile()` -> `artifact.write` (marshal, once per module version)
-> `link.resolve` (keys -> this module's natives, cells, procs) -> `exec` in a namespace whose
`__builtins__` is empty -> each translated `ProcCode.body` replaced by `rt.entry`.

Invariants: the tree-walker stays the reference: a translated proc behaves exactly as its
closures (results, errors with their codes, positions and SGL frames, limits); calls between
tiers use the tree-walker's call protocol, so a module may mix them. `tier="jit"` refuses to
load a module with a proc that does not translate (so a test on that tier tests it);
`tier="tree"` translates nothing.
"""

from __future__ import annotations

import os
import sys
import time
from functools import cache
from pathlib import Path
from typing import Any

from seglam_lang.codes import E_USAGE
from seglam_lang.errors import SglUsageError
from seglam_lang.privatedir import sha256
from seglam_lang.runtime.jit import artifact
from seglam_lang.runtime.limits import TIERS
from seglam_lang.settings import env

# The translator, the linker and the helpers are imported when a module is tiered up, not
# with this package: `artifact` (what a command-line hit reads) stays free of the front end.

GENERATOR_VERSION = 1
_RUNTIME = Path(__file__).resolve().parent.parent


def effective_tier(limits: Any) -> str:
    """`Limits.tier` when it is not "auto", else `$SGL_TIER` (default "auto")."""
    tier = getattr(limits, "tier", "auto")
    if tier == "auto":
        tier = (env("SGL_TIER") or "").strip() or "auto"
        if tier not in TIERS:
            raise SglUsageError(f"SGL_TIER must be one of {', '.join(TIERS)} (got {tier!r})", code=E_USAGE)
    return tier


@cache
def generator_key() -> str:
    """What decides a translation or a module image besides the module's own text: this
    generator's version, CPython's, and every file of the front end, the runtime, the stdlib
    and the grammar, each known by its path, size and modification time (a stat, not a read:
    well under a millisecond a process for ~130 files). Editing, replacing or adding any of them changes the
    key, as a `.pyc` is invalidated by its source's mtime and size."""
    h = sha256(f"{GENERATOR_VERSION} {sys.version}".encode())
    from seglam_lang.syntax.tables import resource_dir

    package = str(_RUNTIME.parent)
    parts = [f"{package}/{n}" for n in ("codes.py", "errors.py", "frozen.py")]
    for root in (f"{package}/syntax", f"{package}/check", str(_RUNTIME), str(resource_dir("stdlib")),
                 str(resource_dir("grammar"))):
        _source_files(root, parts)
    for path in parts:
        try:
            st = os.stat(path)
            h.update(f"\0{path}\0{st.st_size}\0{st.st_mtime_ns}".encode())
        except OSError:
            h.update(f"\0{path}\0missing".encode())
    return h.hexdigest()


def _source_files(root: str, out: list[str]) -> None:
    """Append the .py, .sgl and .lark files under `root` to `out`, in a fixed order."""
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError:
        out.append(root)  # a missing folder is part of the key too
        return
    for e in entries:
        if e.name.endswith((".py", ".sgl", ".lark")):
            out.append(e.path)
        elif e.name != "__pycache__" and e.is_dir():
            _source_files(e.path, out)


def cache_key(mc: Any) -> str:
    """The translation's key: the module's source, what it uses and its host signatures, and the generator."""
    h = sha256(generator_key().encode())
    h.update(mc.source.encode("utf-8", "surrogatepass"))
    for alias in sorted(mc.imports):
        mod = mc.imports[alias]
        sgl = getattr(mod, "sgl", None)
        h.update(f"\0{alias}\0{getattr(mod, 'name', '')}\0".encode())
        if sgl is not None:
            h.update(sgl.source.encode("utf-8", "surrogatepass"))
    for name in sorted(mc.host):
        h.update(f"\0{name}\0{mc.host[name].sig}".encode())
    return h.hexdigest()[:40]


class Report:
    """What tier-up did for one module (`Module.tier`)."""

    def __init__(self, tier: str, procs: list[str], declined: dict[str, str], cached: bool, seconds: float,
                 translation: tuple[Any, ...] | None = None) -> None:
        self.tier = tier
        self.procs = procs          # procs and properties running translated
        self.declined = declined    # name -> why it stays on the tree-walker
        self.cached = cached        # the translation was read from the disk cache
        self.seconds = seconds      # the cost of tier-up at load
        self.translation = translation  # what was installed: (code, keys, procs, properties, declined)

    def __repr__(self) -> str:
        return (f"<tier {self.tier}: {len(self.procs)} translated, {len(self.declined)} declined, "
                f"{'cached' if self.cached else 'translated'} in {self.seconds * 1000:.1f} ms>")


def tier_up(mc: Any, limits: Any) -> Report:
    """Translate (or read from the cache) and install the procs of compiled module `mc`."""
    t0 = time.perf_counter()
    tier = effective_tier(limits)
    if tier == "tree":
        return Report(tier, [], {}, False, 0.0)
    key = cache_key(mc)
    art = artifact.read(key)
    cached = art is not None
    if art is None:
        art = _translate(mc)
        if art[0] is not None:
            artifact.write(key, *art)
    try:
        names = _install(mc, art)
    except (KeyError, IndexError, AttributeError, TypeError, ValueError):
        if not cached:
            raise
        art, cached = _translate(mc), False  # a stale artifact: translate again
        artifact.write(key, *art)
        names = _install(mc, art)
    declined = dict(art[4])
    if tier == "jit" and declined:
        name, why = next(iter(declined.items()))
        raise SglUsageError(f"{mc.file}: tier jit: `{name}` cannot be translated ({why}); "
                            f"{len(declined)} declined in all", code=E_USAGE, hint="use the tier auto or tree")
    return Report(tier, names, declined, cached, time.perf_counter() - t0, art)


def _translate(mc: Any) -> tuple[Any, ...]:
    from seglam_lang.runtime.jit.translate import translate
    from seglam_lang.runtime.jit.validate import Unsafe, validate

    tr = translate(mc)
    try:
        validate(tr.source)
    except Unsafe as e:  # a translator bug: nothing of this module runs translated
        names = [*tr.procs, *(f"property {p}" for p in tr.properties)]
        return (compile("", "<sgl-jit>", "exec"), [], {}, {}, {**tr.declined, **dict.fromkeys(names, f"unsafe: {e}")})
    code = compile(tr.source, f"<sgl-jit {mc.file}>", "exec")
    return (code, tr.keys, tr.procs, tr.properties, tr.declined)


def _install(mc: Any, art: tuple[Any, ...]) -> list[str]:
    from seglam_lang.runtime.jit.link import node_order, resolve
    from seglam_lang.runtime.jit.rt import entry

    code, keys, procs, properties, _declined = art
    nodes = node_order(mc.tree)
    namespace: dict[str, Any] = {"__builtins__": {}}
    for i, key in enumerate(keys):
        namespace[f"_g{i}"] = resolve(mc, nodes, key)
    exec(code, namespace)
    bodies = [(mc.procs[n], namespace[fn]) for n, fn in procs.items()]
    bodies += [(mc.properties[n], namespace[fn]) for n, fn in properties.items()]
    for unit, fn in bodies:  # only once everything resolved: a module is never half installed
        unit.body = entry(fn, len(unit.names))
    return [*procs, *(f"property {p}" for p in properties)]


def generated_source(mc: Any) -> str:
    """The Python source the translator makes for compiled module `mc` (for `sgl` debugging and tests)."""
    from seglam_lang.runtime.jit.translate import translate

    return translate(mc).source


__all__ = ["TIERS", "Report", "effective_tier", "generated_source", "tier_up"]

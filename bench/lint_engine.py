"""Engine cost per 1,000 lines against ``libcst.parse_module`` alone.

Generates a tree of modules that all use FlowManagerMP (imports, module-level
processors, classes, a main guard, some findings), then times, in the same run,
``lint_source`` and ``libcst.parse_module`` over every file (best of several
rounds, interleaved so both see the same machine load) and prints both costs
per 1,000 lines and their ratio. Target: ratio <= 2.0.

    python bench/lint_engine.py [--files 40] [--rounds 5] [--stages]

``--stages`` also times the engine's stages on their own (CPython's parse, the
engine's one walk that builds the index and the binding tables), each as a
multiple of the libcst parse, to show where the time goes; and, for comparison,
what the engine no longer runs: a libcst ``CSTVisitor`` pass and libcst's
ScopeProvider.
"""

from __future__ import annotations

import argparse
import ast
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import libcst
from libcst.metadata import MetadataWrapper, ScopeProvider

from flowmanager_lint import lint_source
from flowmanager_lint._index import SourceIndex

_HEADER = '''"""Generated module {n}: jobs and result processors for a FlowManagerMP pipeline."""

import functools
import json
import sqlite3
import threading
from pathlib import Path

from flowmanager import FlowManagerMP

SETTINGS = {{"prefix": "result:", "retries": 3, "paths": ["a", "b", "c"]}}
LOCK = threading.Lock()
'''

_UNIT = '''

def job_{n}_{i}(task, scale={i}):
    """Scale a task and keep the odd ones."""
    values = [value * scale for value in task if value % 2]
    total = 0
    for value in values:
        if value > 100:
            total += value // 2
        elif value > 10:
            total += value
        else:
            total -= 1
    return {{"task": task, "total": total, "name": "job_{n}_{i}"}}


class Store{i}:
    """Keeps results in memory and writes them out on request."""

    def __init__(self, root="out"):
        self.root = Path(root)
        self.items = []

    def add(self, result):
        self.items.append(result)
        return len(self.items)

    def dump(self):
        text = json.dumps(self.items, indent=2, sort_keys=True)
        (self.root / "store_{i}.json").write_text(text)


def process_{n}_{i}(result):
    db = sqlite3.connect(":memory:")
    try:
        db.execute("SELECT ?", (json.dumps(result),))
    finally:
        db.close()
'''

_FOOTER = """

def locked_{n}(result):
    with LOCK:
        print(SETTINGS["prefix"], result)


def main():
    manager = FlowManagerMP(job_{n}_0, process_{n}_0)
    for batch in ([1, 2, 3], [4, 5, 6]):
        manager.submit_task(batch)
    manager.close_processes()
    other = FlowManagerMP(job_{n}_1, locked_{n})
    fallback = FlowManagerMP.instance(job_{n}_1, functools.partial(process_{n}_1))
    return other, fallback


if __name__ == "__main__":
    main()
"""


def generate(root: Path, files: int, units: int = 12) -> list[Path]:
    """Write ``files`` modules of about 50 lines per unit each; return their paths."""
    paths = []
    for n in range(files):
        body = _HEADER.format(n=n) + "".join(_UNIT.format(n=n, i=i) for i in range(units))
        path = root / f"pkg{n % 4}" / f"module_{n}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body + _FOOTER.format(n=n), encoding="utf-8")
        paths.append(path)
    return paths


def best_time(work: Callable[[], object], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--stages", action="store_true", help="time each stage too")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        sources = [p.read_text(encoding="utf-8") for p in generate(Path(tmp), args.files)]
    lines = sum(s.count("\n") for s in sources)
    findings = sum(len(lint_source(s)) for s in sources)  # warm up imports, count findings

    def parse_all() -> None:
        for source in sources:
            libcst.parse_module(source)

    def lint_all() -> None:
        for source in sources:
            lint_source(source)

    parse = lint = float("inf")
    for _ in range(args.rounds):  # interleave so both see the same load
        parse = min(parse, best_time(parse_all, 1))
        lint = min(lint, best_time(lint_all, 1))
    per_k = 1000 / lines
    print(f"tree: {len(sources)} files, {lines} lines, every file uses FlowManagerMP")
    print(f"findings: {findings}")
    print(f"libcst.parse_module: {parse * per_k * 1000:8.2f} ms per 1,000 lines")
    print(f"lint_source:         {lint * per_k * 1000:8.2f} ms per 1,000 lines")
    print(f"ratio lint/parse:    {lint / parse:8.2f}x  (target <= 2.0x)")
    if args.stages:
        print_stages(sources, parse, args.rounds)
    return 0


def print_stages(sources: list[str], parse: float, rounds: int) -> None:
    """Each stage of the engine alone, as a multiple of the libcst parse."""
    modules = [libcst.parse_module(s) for s in sources]
    names = frozenset({"FlowManagerMP"})
    stages: dict[str, Callable[[], object]] = {
        "ast.parse (syntax gate, positions)": lambda: [ast.parse(s) for s in sources],
        "index walk + binding tables (the engine's one walk)": lambda: [
            SourceIndex.build(m, names) for m in modules
        ],
        "not run any more: one libcst CSTVisitor pass": lambda: [
            m.visit(libcst.CSTVisitor()) for m in modules
        ],
        "not run any more: libcst ScopeProvider": lambda: [
            MetadataWrapper(m, unsafe_skip_copy=True).resolve(ScopeProvider) for m in modules
        ],
    }
    for label, work in stages.items():
        print(f"  {label:52} {best_time(work, rounds) / parse:6.2f}x parse")


if __name__ == "__main__":
    raise SystemExit(main())

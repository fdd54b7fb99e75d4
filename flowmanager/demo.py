"""The main job: lint the bundled examples, then run a real FlowManagerMP flow.

``flowmanager-demo`` (or ``python -m flowmanager.demo``) writes the rule catalog's examples to a
temporary folder, lints them with the same function the CLI and flake8 use, and shows that the
runtime guard refuses the bad ones before any process starts. Then one FlowManagerMP runs
thousands of async jobs at once and a batch of CPU-bound sync jobs, processing every result in
its own process, and prints what it measured.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from .rules import RULES

__all__ = ["main"]


async def fetch(task: int) -> int:
    """An I/O-bound job: waits as a network call would, then answers."""
    await asyncio.sleep(0.5)
    return task * 2


def crunch(task: int) -> int:
    """A CPU-bound job."""
    return sum(i * i for i in range(task))


def record(result: int) -> None:
    """The result processor: runs in the result process, one call per result."""
    if result < 0:  # never true; shows that the processor may do any work it likes
        raise ValueError(result)


def _lint_examples(folder: Path) -> int:
    from flowmanager_lint._run import lint_paths

    paths = []
    for code, rule in RULES.items():
        for kind, examples in (("bad", rule.bad), ("good", rule.good)):
            for i, ex in enumerate(examples):
                path = folder / f"{code}_{kind}{i}.py"
                path.write_text(ex.code, encoding="utf-8")
                paths.append(path)
    print(f"== Linting {len(paths)} bundled examples (the catalog's good and bad code)")
    results = lint_paths([str(p) for p in paths])
    count = 0
    for result in results:
        for finding in result.findings:
            count += 1
            print(f"{Path(result.path).name}:{finding.line}:{finding.col + 1}: "
                  f"{finding.message.split('; fix:')[0]}")
    print(f"{count} findings in {len(paths)} files\n")
    return count


def _guard_examples() -> None:
    from ._guard import check_result_processor

    print("== The runtime guard judges result processors before any process starts")
    samples = {"a lambda": lambda result: None, "a module-level function": record}
    for label, fn in samples.items():
        found = check_result_processor(fn)
        verdict = found[0].code if found else "accepted"
        print(f"{label:>26}: {verdict}")
    from ._errors import UnpicklableResultProcessorError
    from ._manager import FlowManagerMP

    print("\nFlowManagerMP(fetch, lambda result: print(result)) raises, starting nothing:")
    try:
        FlowManagerMP(fetch, lambda result: print(result))  # noqa: FMP101 (on purpose)
    except UnpicklableResultProcessorError as exc:
        print(f"{type(exc).__name__}: {exc}")
    print()


def _run_flow(jobs: int, cpu_jobs: int) -> None:
    from ._manager import FlowManagerMP

    print(f"== One FlowManagerMP: {jobs} async jobs of 0.5 s each, then {cpu_jobs} CPU jobs")
    start = time.perf_counter()
    with FlowManagerMP({"fetch": fetch, "crunch": crunch}, record) as manager:
        manager.submit_task(list(range(jobs)), fq_name="fetch")
        manager.submit_task([20_000] * cpu_jobs, fq_name="crunch")
        manager.close_processes()
    stats = manager.stats()
    elapsed = time.perf_counter() - start
    serial = 0.5 * jobs
    print(f"{jobs + cpu_jobs} jobs done in {elapsed:.2f} s "
          f"({serial:.0f} s if the async jobs ran one after another)")
    for key in ("submitted", "completed", "failed", "processed"):
        print(f"{key:>10}: {getattr(stats, key)}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="flowmanager-demo", description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000, help="async jobs to run (10000)")
    parser.add_argument("--cpu-jobs", type=int, default=200, help="CPU-bound jobs to run (200)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="flowmanager-demo-") as tmp:
        _lint_examples(Path(tmp))
    _guard_examples()
    _run_flow(args.jobs, args.cpu_jobs)
    return 0


if __name__ == "__main__":
    sys.exit(main())

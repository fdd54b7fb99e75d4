"""Run every engine benchmark of issue 3 (and the single-submit rate beside
Pool.apply_async) and print each figure as a ratio to its anchor.

Usage: ``python bench/run.py`` (about a minute; run it on a quiet machine).
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import engine

from flowmanager._cpus import usable_cpus

MB = 1024 * 1024


def main() -> None:
    print(f"engine benchmarks: {usable_cpus()} usable CPUs, load average "
          f"{os.getloadavg()[0]:.2f}, {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}")
    rows: list[tuple[str, str, str, str, bool]] = []

    pool_rate, chunk = engine.pool_tasks_per_s()
    sync_rate = engine.ours_tasks_per_s(engine.double)
    rows.append(("tasks/s, 100,000 trivial sync jobs", f"{sync_rate:,.0f}",
                 f"Pool.imap_unordered chunksize={chunk}: {pool_rate:,.0f}",
                 f"{sync_rate / pool_rate:.2f}x (>= 1.0x)", sync_rate / pool_rate >= 1.0))
    async_rate = engine.ours_tasks_per_s(engine.double_async)
    rows.append(("tasks/s, 100,000 trivial async jobs", f"{async_rate:,.0f}",
                 f"same: {pool_rate:,.0f}",
                 f"{async_rate / pool_rate:.2f}x (>= 0.3x)", async_rate / pool_rate >= 0.3))

    single, apply_async = engine.single_submits_per_s()
    rows.append(("tasks/s, 100,000 single submit_task calls", f"{single:,.0f}",
                 f"Pool.apply_async per task: {apply_async:,.0f}",
                 f"{single / apply_async:.2f}x (no target)", True))

    for jobs, target in ((10_000, 1.1), (100_000, 1.2)):
        anchor = engine.gather_wall(jobs)
        ours = engine.ours_wall(jobs)
        rows.append((f"wall, {jobs:,} jobs of asyncio.sleep(1)", f"{ours:.2f} s",
                     f"asyncio.gather: {anchor:.2f} s", f"{ours / anchor:.2f}x (<= {target}x)",
                     ours / anchor <= target))

    anchor_rss = engine.peak_tree_rss("rss-anchor", 10_000)
    ours_rss = engine.peak_tree_rss("rss-ours", 10_000)
    limit = 2 * anchor_rss + 60 * MB
    rows.append(("peak RSS of the process tree, 10,000 sleeping jobs", f"{ours_rss / MB:.0f} MB",
                 f"asyncio.gather: {anchor_rss / MB:.0f} MB",
                 f"{ours_rss / anchor_rss:.2f}x (<= 2x + 60 MB = {limit / MB:.0f} MB)",
                 ours_rss <= limit))

    idle = engine.idle_cpu_percent()
    rows.append(("CPU of an idle instance over 5 s", f"{idle:.2f}% of a core", "-",
                 "(< 0.5%)", idle < 0.5))

    ours_cc, pool_cc = engine.construct_close()
    rows.append(("construct + close of an empty instance", f"{ours_cc * 1000:.1f} ms",
                 f"Pool(2) create + close: {pool_cc * 1000:.1f} ms",
                 f"{ours_cc / pool_cc:.2f}x (<= 1.5x)", ours_cc / pool_cc <= 1.5))

    width = max(len(r[0]) for r in rows)
    for figure, ours_text, anchor_text, ratio, ok in rows:
        print(f"{figure:<{width}}  {ours_text:>18}  {ratio:<34} {'ok' if ok else 'MISSED'}"
              f"  [{anchor_text}]")


if __name__ == "__main__":
    main()

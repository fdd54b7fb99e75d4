"""What the linter front ends cost, on this machine's Python standard library.

Prints three ratios measured in the same run (best of ``--repeat`` interleaved runs,
wall time and CPU time of the whole process tree; on a machine shared with other
work the CPU ratio is the steadier one):

1. ``flake8 --select=F,FMP`` (our plugin loaded and selected) against flake8 with our
   plugin taken out of plugin discovery, both ``-j JOBS`` (target: <= 1.05x). The
   baseline cannot be ``--select=F``: flake8 runs every installed plugin and only
   filters what it prints, so the plugin would be timed in both.
2. ``flowmanager-lint -j JOBS`` over the same tree against ``flake8 --select=F -j2``.
3. The plugin's own time, measured in this process by calling it on every file as
   flake8 would, as a fraction of the flake8 run: a figure that the noise of a busy
   machine (which moves whole flake8 runs by several per cent) does not hide.

The tree is the standard library (``sysconfig.get_paths()["stdlib"]``) without
``site-packages``; ``--tree`` points at another one. No standard-library file
mentions FlowManagerMP, so this measures what a project pays for the files that do
not use it: the text prefilter in front of the engine must keep libcst away.

Run: ``python bench/lint_speed.py`` (about ten minutes on two busy cores with the
default three repeats; ``--repeat 1`` for a quick look).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import sysconfig
import time
import tokenize
from collections.abc import Sequence

# flake8 as usual, except that with "--without-fmp" the plugin discovery skips the
# distribution that registers FMP: the same flake8, pyflakes and pycodestyle, without
# our plugin. Both timed runs start through this same script, so they differ only there.
_FLAKE8 = """
import sys
from flake8.plugins import finder

if sys.argv[1] == "--without-fmp":
    _found = finder._find_importlib_plugins
    finder._find_importlib_plugins = lambda: (
        p for p in _found() if p.package != "flowmanager"
    )

from flake8.main.cli import main

sys.exit(main(sys.argv[2:]))
"""


def _count_lines(tree: str, skip: Sequence[str]) -> tuple[int, int]:
    files = lines = 0
    for directory, dirs, names in os.walk(tree):
        dirs[:] = [d for d in dirs if d not in skip]
        for name in names:
            if name.endswith(".py"):
                files += 1
                with open(os.path.join(directory, name), "rb") as handle:
                    lines += handle.read().count(b"\n")
    return files, lines


def _plugin_seconds(tree: str, skip: Sequence[str]) -> float:
    """Run the plugin on every file as flake8 does (lines in, findings out); its total time."""
    import ast

    from flowmanager_lint.flake8_plugin import FlowManagerPlugin

    empty = ast.Module(body=[], type_ignores=[])
    total = 0.0
    for directory, dirs, names in os.walk(tree):
        dirs[:] = [d for d in dirs if d not in skip]
        for name in names:
            if not name.endswith(".py"):
                continue
            path = os.path.join(directory, name)
            try:  # as flake8 reads a file
                with tokenize.open(path) as handle:
                    lines = handle.readlines()
            except (SyntaxError, UnicodeError):
                with open(path, encoding="latin-1") as handle:
                    lines = handle.readlines()
            start = time.perf_counter()
            list(FlowManagerPlugin(empty, lines, path).run())
            total += time.perf_counter() - start
    return total


def _time(args: Sequence[str]) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (the process and its children) and the output of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(args[:4])} ... failed ({proc.returncode}):\n{proc.stderr}")
    if "Traceback" in proc.stderr:
        raise SystemExit(f"{' '.join(args[:4])} ... printed a traceback:\n{proc.stderr}")
    return elapsed, cpu, proc.stdout


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", default=sysconfig.get_paths()["stdlib"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)

    skip = ["site-packages"]
    exclude = ",".join(skip)
    files, lines = _count_lines(args.tree, skip)
    python = sys.executable
    jobs = f"-j{args.jobs}"
    commands = {
        "flake8 without plugin": [python, "-c", _FLAKE8, "--without-fmp", "--select=F", jobs,
                                  f"--extend-exclude={exclude}", args.tree],
        "flake8 with plugin": [python, "-c", _FLAKE8, "--with-fmp", "--select=F,FMP", jobs,
                               f"--extend-exclude={exclude}", args.tree],
        "flowmanager-lint": [python, "-m", "flowmanager_lint", jobs, "--no-config",
                             f"--exclude={exclude}", args.tree],
    }  # fmt: skip

    version = subprocess.run(
        [python, "-c", _FLAKE8, "--without-fmp", "--version"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "flowmanager" not in version, "the baseline still loads the plugin"
    version = subprocess.run(
        [python, "-c", _FLAKE8, "--with-fmp", "--version"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "flowmanager" in version, "the plugin is not installed"

    print(f"tree: {args.tree} ({files} files, {lines:,} lines), {args.jobs} jobs, "
          f"best of {args.repeat}")  # fmt: skip
    wall = dict.fromkeys(commands, float("inf"))
    cpu = dict.fromkeys(commands, float("inf"))
    outputs: dict[str, str] = {}
    for _ in range(args.repeat):
        for name, command in commands.items():  # interleaved: load changes hit all alike
            seconds, cpu_seconds, outputs[name] = _time(command)
            wall[name] = min(wall[name], seconds)
            cpu[name] = min(cpu[name], cpu_seconds)
    # The same pyflakes findings with and without the plugin (the tree has no FMP ones):
    # both runs did the same work.
    assert outputs["flake8 with plugin"] == outputs["flake8 without plugin"]
    for name in commands:
        print(f"  {name:24s} {wall[name]:8.2f} s wall {cpu[name]:8.2f} s CPU  "
              f"{wall[name] / lines * 1e6:8.3f} ms/1k lines")  # fmt: skip
    own = min(_plugin_seconds(args.tree, skip) for _ in range(args.repeat))
    base, plugged = "flake8 without plugin", "flake8 with plugin"
    print(f"flake8 --select=F,FMP / flake8 --select=F without the plugin: "
          f"{wall[plugged] / wall[base]:.3f}x wall, {cpu[plugged] / cpu[base]:.3f}x CPU "
          f"(target <= 1.05x)")  # fmt: skip
    print(f"the plugin's own time over the tree: {own:.3f} s in one process = "
          f"{own / cpu[base] * 100:.3f}% of flake8's CPU time, so "
          f"{(cpu[base] + own) / cpu[base]:.4f}x")  # fmt: skip
    print(f"flowmanager-lint -j{args.jobs} / flake8 --select=F -j{args.jobs}: "
          f"{wall['flowmanager-lint'] / wall[base]:.4f}x wall, "
          f"{cpu['flowmanager-lint'] / cpu[base]:.4f}x CPU")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

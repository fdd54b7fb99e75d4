"""What the linter front ends cost, on this machine's Python standard library.

Prints three ratios measured in the same run (best of ``--repeat`` interleaved runs):

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
import subprocess
import sys
import sysconfig
import time
import tokenize
from collections.abc import Sequence

# flake8 as usual, except that the plugin discovery skips the distribution that
# registers FMP: the same flake8, pyflakes and pycodestyle, without our plugin.
_WITHOUT_PLUGIN = """
import sys
from flake8.plugins import finder

_found = finder._find_importlib_plugins
finder._find_importlib_plugins = lambda: (p for p in _found() if p.package != "flowmanager")

from flake8.main.cli import main

main(sys.argv[1:])
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


def _time(args: Sequence[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(args[:4])} ... failed ({proc.returncode}):\n{proc.stderr}")
    if "Traceback" in proc.stderr:
        raise SystemExit(f"{' '.join(args[:4])} ... printed a traceback:\n{proc.stderr}")
    return elapsed


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
        "flake8 without plugin": [python, "-c", _WITHOUT_PLUGIN, "--select=F", jobs,
                                  f"--extend-exclude={exclude}", args.tree],
        "flake8 with plugin": [python, "-m", "flake8", "--select=F,FMP", jobs,
                               f"--extend-exclude={exclude}", args.tree],
        "flowmanager-lint": [python, "-m", "flowmanager_lint", jobs, "--no-config",
                             f"--exclude={exclude}", args.tree],
    }  # fmt: skip

    version = subprocess.run(
        [python, "-c", _WITHOUT_PLUGIN, "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert "flowmanager" not in version, "the baseline still loads the plugin"

    print(f"tree: {args.tree} ({files} files, {lines:,} lines), {args.jobs} jobs, "
          f"best of {args.repeat}")  # fmt: skip
    best = dict.fromkeys(commands, float("inf"))
    for _ in range(args.repeat):
        for name, command in commands.items():  # interleaved: load changes hit all alike
            best[name] = min(best[name], _time(command))
    for name, seconds in best.items():
        print(f"  {name:24s} {seconds:8.2f} s  {seconds / lines * 1000 * 1000:8.3f} ms/1k lines")
    own = min(_plugin_seconds(args.tree, skip) for _ in range(args.repeat))
    baseline = best["flake8 without plugin"]
    plugin_ratio = best["flake8 with plugin"] / baseline
    cli_ratio = best["flowmanager-lint"] / best["flake8 without plugin"]
    print(f"flake8 --select=F,FMP / flake8 --select=F without the plugin: {plugin_ratio:.3f}x "
          f"(target <= 1.05x)")  # fmt: skip
    print(f"the plugin's own time over the tree: {own:.3f} s in one process, so "
          f"(flake8 + plugin time / {args.jobs} jobs) / flake8 = "
          f"{(baseline + own / args.jobs) / baseline:.4f}x")  # fmt: skip
    print(f"flowmanager-lint -j{args.jobs} / flake8 --select=F -j{args.jobs}: {cli_ratio:.3f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Run one catalog example as a real ``__main__`` script and print what the runtime said, as JSON.

Usage: ``python tests/run_example.py EXAMPLE.py START_METHOD OUT.json``. Writes
``{"codes": [...], "texts": [...]}``: the codes and lint-shaped texts of the
violations of the FlowManagerError the script raised (empty when it ran through).
A file, not stdout: the examples print their results.
"""

import json
import multiprocessing
import runpy
import sys

from flowmanager import FlowManagerError

if __name__ == "__main__":
    path, method, out = sys.argv[1], sys.argv[2], sys.argv[3]
    multiprocessing.set_start_method(method)
    codes: list[str] = []
    texts: list[str] = []
    try:
        runpy.run_path(path, run_name="__main__")
    except FlowManagerError as exc:
        violations = getattr(exc, "violations", ())
        codes = [v.code for v in violations]
        texts = [v.lint_text for v in violations]
        if not violations:
            raise
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"codes": codes, "texts": texts}, f)

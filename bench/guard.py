"""What the runtime guard costs per call, next to the pickling it saves the engine from doing.

Run: ``python bench/guard.py``. Prints, per case, the time of one
``check_result_processor`` call (best of several rounds) and, as anchors measured in the
same run, the time of ``pickle.dumps(processor)`` and of ``cloudpickle.dumps`` of the
large globals the other processors use (a 200 MB ``bytes`` and a dict of a million
strings), with the ratios between them.
"""

from __future__ import annotations

import logging
import pickle
import sys
import time
import timeit
from collections.abc import Callable

import cloudpickle

from flowmanager import check_result_processor

SETTINGS = {"table": "results", "retries": 3}
LOG = logging.getLogger("bench.guard")
BIG = bytes(200 * 1024 * 1024)  # 200 MB, picklable
# About 200 MB of small objects: one million 100-character strings in a dict, the kind of
# global the pickler must walk item by item rather than copy as one buffer.
TABLE = {i: f"{i:0100d}" for i in range(1_000_000)}


def process_result(result: object) -> None:
    """A typical processor: module level, a settings global, a logger, work done inside."""
    with open("/dev/null", "a", encoding="utf-8") as sink:
        sink.write(f"{SETTINGS['table']}: {result}\n")
    LOG.debug("stored %r", result)


def uses_big(result: object) -> int:
    """A processor reading a 200 MB picklable global."""
    return len(BIG) + len(str(result))


def uses_table(result: object) -> int:
    """A processor reading a dict of a million strings."""
    return len(TABLE) + len(str(result))


def per_call(fn: Callable[[], object], number: int) -> float:
    """Seconds per call, best of five rounds of ``number`` calls."""
    return min(timeit.repeat(fn, number=number, repeat=5)) / number


def main() -> None:
    assert check_result_processor(process_result) == []
    assert check_result_processor(uses_big) == []
    assert check_result_processor(uses_table) == []
    typical = per_call(lambda: check_result_processor(process_result), 2000)
    big = per_call(lambda: check_result_processor(uses_big), 50)
    table = per_call(lambda: check_result_processor(uses_table), 50)
    pickle_fn = per_call(lambda: pickle.dumps(process_result), 2000)
    start = time.perf_counter()
    cloudpickle.dumps(BIG)
    big_dump = time.perf_counter() - start
    start = time.perf_counter()
    cloudpickle.dumps(TABLE)
    table_dump = time.perf_counter() - start

    print(f"python {sys.version.split()[0]}, cloudpickle {cloudpickle.__version__}")
    print(f"check_result_processor, typical module-level processor: {typical * 1e6:9.1f} µs")
    print(f"check_result_processor, processor using a 200 MB global: {big * 1e6:9.1f} µs")
    print(f"check_result_processor, processor using a 1M-string dict: {table * 1e6:8.1f} µs")
    print(f"anchor: pickle.dumps(processor):                         {pickle_fn * 1e6:9.1f} µs")
    print(f"anchor: cloudpickle.dumps(200 MB global):                {big_dump * 1e6:9.1f} µs")
    print(f"anchor: cloudpickle.dumps(1M-string dict):               {table_dump * 1e6:9.1f} µs")
    print(f"ratio typical check / pickle.dumps(processor):           {typical / pickle_fn:9.1f}x")
    print(f"ratio cloudpickle.dumps(200 MB) / 200 MB check:          {big_dump / big:9.0f}x")
    print(f"ratio cloudpickle.dumps(dict) / dict check:              {table_dump / table:9.0f}x")


if __name__ == "__main__":
    main()

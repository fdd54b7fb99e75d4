"""A real ``__main__`` script for the engine tests: ``python engine_main.py METHOD MODE``.

Its result processor is a function of ``__main__``, which the result process must find
by reference under every start method. Modes:

* ``run``: 20 tasks, parallel on_complete; prints the sum of the recorded results.
* ``block``: 10,000 sleeping async jobs; prints the pids of the children, then waits.
* ``leave-open``: submits and exits without closing; then makes a second instance (FMP001).
* ``idle``: an instance that is given no work; prints the pids of the children, then waits.
"""

import json
import os
import sys
import time

from flowmanager import FlowManagerMP


def triple(task):
    return task * 3


async def nap(task):
    import asyncio

    await asyncio.sleep(task)
    return task


def save(result):
    with open(os.environ["FMP_SCRIPT_OUT"], "a") as out:
        out.write(f"{result}\n")


def children(manager):
    return [p.pid for p in manager.stats().processes[1:]]


if __name__ == "__main__":
    method, mode = sys.argv[1], sys.argv[2]
    if mode == "run":
        manager = FlowManagerMP(triple, save, start_method=method)
        manager.submit_task(list(range(20)))
        manager.close_processes(timeout=60)
        with open(os.environ["FMP_SCRIPT_OUT"]) as recorded:
            print(sum(int(line) for line in recorded))
    elif mode == "block":
        manager = FlowManagerMP(nap, save, start_method=method)
        manager.submit_task([60] * 10_000)
        print(json.dumps(children(manager)), flush=True)
        manager.wait_for_completion()
    elif mode == "idle":
        manager = FlowManagerMP(nap, save, start_method=method)
        print(json.dumps(children(manager)), flush=True)
        time.sleep(60)
    elif mode == "leave-open":
        manager = FlowManagerMP(nap, save, start_method=method)
        manager.submit_task([60] * 100)
        print(json.dumps(children(manager)), flush=True)
        time.sleep(0.2)
        FlowManagerMP(nap, save, start_method=method)

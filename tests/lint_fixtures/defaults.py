# ruff: noqa
# FMP103 through default values and keyword-only defaults.
import sqlite3
import threading

from flowmanager import FlowManagerMP

LOCK = threading.Lock()


def double(task):
    return task * 2


def with_default(result, out=open(__file__)):
    pass


def with_kwdefault(result, *, conn=sqlite3.connect(":memory:")):
    pass


def with_global_default(result, lock=LOCK):
    pass


def with_plain_default(result, prefix="x", sizes=(1, 2)):
    pass


def case_default():
    FlowManagerMP(double, with_default)  # expect: FMP103


def case_kwdefault():
    FlowManagerMP(double, with_kwdefault)  # expect: FMP103


def case_global_default():
    FlowManagerMP(double, with_global_default)  # expect: FMP103


def case_plain_default():
    FlowManagerMP(double, with_plain_default)

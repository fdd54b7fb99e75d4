# ruff: noqa
# functools.partial: judge the wrapped function; its arguments are captured state.
import functools
import sqlite3
import threading
from functools import partial

from flowmanager import FlowManagerMP
from helpers import imported_save

db = sqlite3.connect(":memory:")


def double(task):
    return task * 2


def save(target, result, *, lock=None):
    print(target, result)


def through_module():
    FlowManagerMP(double, functools.partial(save, "out.txt"))


def through_name():
    FlowManagerMP(double, partial(save, "out.txt"))


def wrapping_a_lambda():
    FlowManagerMP(double, partial(lambda prefix, r: r, "x"))  # expect: FMP101


def wrapping_a_nested_function():
    def inner(prefix, result):
        pass

    FlowManagerMP(double, partial(inner, "x"))  # expect: FMP102


def binding_a_connection():
    FlowManagerMP(double, partial(save, sqlite3.connect("x")))  # expect: FMP103


def binding_a_global_connection():
    FlowManagerMP(double, partial(save, db))  # expect: FMP103


def binding_a_lock_by_keyword():
    FlowManagerMP(double, partial(save, "x", lock=threading.Lock()))  # expect: FMP103


def nested_partials():
    FlowManagerMP(double, partial(partial(save, "x"), lock=threading.RLock()))  # expect: FMP103


def bound_to_a_name():
    bound = partial(save, db)
    FlowManagerMP(double, bound)  # expect: FMP103


def imported_function_with_a_connection():
    FlowManagerMP(double, partial(imported_save, db))  # expect: FMP103


def imported_function_with_data():
    FlowManagerMP(double, partial(imported_save, "x"))


def serial_mode():
    FlowManagerMP(double, partial(save, db), serial_processing=True)

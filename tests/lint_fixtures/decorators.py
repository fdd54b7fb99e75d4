# ruff: noqa
# Same-file decorators: an inner function without functools.wraps makes the result
# nested (FMP102); with wraps it keeps the name, and its closure is captured state.
import functools
import threading
from functools import wraps

from flowmanager import FlowManagerMP
from helpers import imported_decorator


def double(task):
    return task * 2


def logged(func):
    def wrapper(result):
        return func(result)

    return wrapper


def kept(func):
    @functools.wraps(func)
    def wrapper(result):
        return func(result)

    return wrapper


def locked(func):
    lock = threading.Lock()

    @wraps(func)
    def wrapper(result):
        with lock:
            return func(result)

    return wrapper


def retry(times):
    def decorate(func):
        def again(result):
            return func(result)

        return again

    return decorate


def register(func):
    return func


@logged
def plain(result):
    pass


@kept
def named(result):
    pass


@locked
def serialized(result):
    pass


@retry(3)
def retried(result):
    pass


@register
def registered(result):
    pass


@imported_decorator
def trusted(result):
    pass


@register
@logged
def stacked(result):
    pass


def by_hand_impl(result):
    pass


by_hand = logged(by_hand_impl)


def case_plain():
    FlowManagerMP(double, plain)  # expect: FMP102


def case_named():
    FlowManagerMP(double, named)


def case_serialized():
    FlowManagerMP(double, serialized)  # expect: FMP103


def case_retried():
    FlowManagerMP(double, retried)  # expect: FMP102


def case_registered():
    FlowManagerMP(double, registered)


def case_trusted():
    FlowManagerMP(double, trusted)


def case_stacked():
    FlowManagerMP(double, stacked)  # expect: FMP102


def case_by_hand():
    FlowManagerMP(double, by_hand)  # expect: FMP102


def case_serial():
    FlowManagerMP(double, plain, serial_processing=True)

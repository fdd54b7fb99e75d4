# ruff: noqa
# Bound methods and callable instances: the instance's state travels with them.
import sqlite3
import threading

from flowmanager import FlowManagerMP
from helpers import RemoteProcessor

shared = sqlite3.connect(":memory:")


def double(task):
    return task * 2


class Holder:
    def __init__(self):
        self.db = sqlite3.connect(":memory:")

    def process(self, result):
        self.db.execute("SELECT 1")

    def run(self):
        FlowManagerMP(double, self.process)  # expect: FMP103


class Given:
    def __init__(self, conn, name="x"):
        self.conn = conn
        self.name = name

    def process(self, result):
        pass


class Plain:
    def __init__(self, prefix):
        self.prefix = prefix

    def process(self, result):
        print(self.prefix, result)

    @staticmethod
    def static(result):
        pass


class Child(Holder):
    def other(self, result):
        pass


class CallableHolder:
    def __init__(self):
        self.lock = threading.Lock()

    def __call__(self, result):
        pass


class Lazy:
    def open(self):
        self.db = sqlite3.connect(":memory:")

    def process(self, result):
        pass


def case_bound_method():
    holder = Holder()
    FlowManagerMP(double, holder.process)  # expect: FMP103


def case_inline_instance():
    FlowManagerMP(double, Holder().process)  # expect: FMP103


def case_built_with_a_connection():
    FlowManagerMP(double, Given(sqlite3.connect(":memory:")).process)  # expect: FMP103


def case_built_with_a_global_connection():
    given = Given(conn=shared)
    FlowManagerMP(double, given.process)  # expect: FMP103


def case_built_with_data():
    FlowManagerMP(double, Given("data").process)


def case_plain():
    FlowManagerMP(double, Plain("x").process)


def case_static():
    FlowManagerMP(double, Plain.static)


def case_inherited_state():
    FlowManagerMP(double, Child().other)  # expect: FMP103


def case_callable_instance():
    FlowManagerMP(double, CallableHolder())  # expect: FMP103


def case_state_set_later():
    FlowManagerMP(double, Lazy().process)  # expect: FMP103


def case_imported_class():
    FlowManagerMP(double, RemoteProcessor().process)


def case_serial():
    FlowManagerMP(double, Holder().process, serial_processing=True)


class WithLambda:
    save = lambda self, result: None


def case_lambda_class_attribute():
    FlowManagerMP(double, WithLambda().save)  # expect: FMP101

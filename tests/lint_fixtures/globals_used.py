# ruff: noqa
# FMP103 through module globals: assigned anywhere (also through `global`) from an
# unpicklable factory, or a container literal holding one. Imported names are trusted.
import socket
import sqlite3
import threading
from queue import Queue

from flowmanager import FlowManagerMP
from helpers import shared_connection

db = sqlite3.connect(":memory:")
pool = [sqlite3.connect(":memory:"), sqlite3.connect(":memory:")]
registry = {"lock": threading.Lock()}
later = None
settings = {"prefix": "result:"}
sock: socket.socket = socket.socket()
first, second = Queue(), 1

with open(__file__) as log:
    pass


def create_database_connection():
    return object()


handle = create_database_connection()


def double(task):
    return task * 2


def init():
    global later
    later = threading.Event()


def uses_db(result):
    db.execute("SELECT 1")


def uses_pool(result):
    pool[0].execute("SELECT 1")


def uses_registry(result):
    with registry["lock"]:
        pass


def uses_later(result):
    later.set()


def uses_settings(result):
    print(settings["prefix"], result)


def uses_sock(result):
    sock.send(b"x")


def uses_first(result):
    first.put(result)


def uses_second(result):
    print(second)


def uses_log(result):
    print(log.name)


def uses_handle(result):
    handle.save(result)


def uses_imported(result):
    shared_connection.save(result)


def uses_it_in_a_nested_function(result):
    def inner():
        return db

    inner()


def shadows_it(result):
    db = sqlite3.connect(":memory:")
    db.execute("SELECT 1")


def case_db():
    FlowManagerMP(double, uses_db)  # expect: FMP103


def case_pool():
    FlowManagerMP(double, uses_pool)  # expect: FMP103


def case_registry():
    FlowManagerMP(double, uses_registry)  # expect: FMP103


def case_later():
    FlowManagerMP(double, uses_later)  # expect: FMP103


def case_settings():
    FlowManagerMP(double, uses_settings)


def case_sock():
    FlowManagerMP(double, uses_sock)  # expect: FMP103


def case_first():
    FlowManagerMP(double, uses_first)  # expect: FMP103


def case_second():
    FlowManagerMP(double, uses_second)


def case_log():
    FlowManagerMP(double, uses_log)  # expect: FMP103


def case_handle():
    FlowManagerMP(double, uses_handle)  # expect: FMP103


def case_imported():
    FlowManagerMP(double, uses_imported)


def case_nested_use():
    FlowManagerMP(double, uses_it_in_a_nested_function)  # expect: FMP103


def case_shadowed():
    FlowManagerMP(double, shadows_it)


def case_serial():
    FlowManagerMP(double, uses_db, serial_processing=True)

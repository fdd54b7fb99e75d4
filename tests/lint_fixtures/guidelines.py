# ruff: noqa
# The shapes of the usage guidelines' examples. Their connection factory is neither
# defined nor imported in the snippet, so the linter judges it by its name: one that
# says connect/connection is taken to return an unpicklable connection.
from flowmanager import FlowManagerMP

store = open_store_connection()
cache = build_cache()
remote = clients.connect_remote()


def square(task):
    return task * task


def record(result):
    store.save(result)  # a module global built by the unknown factory


def record_in_cache(result):
    cache.put(result)  # a factory whose name says nothing about connections


def record_remote(result):
    remote.send(result)  # an attribute of a name the file never binds


def record_with_own_store(result):
    own = open_store_connection()  # made inside the processor: nothing travels
    own.save(result)


def record_to_a_file(result):
    with open("results.txt", "a") as out:
        out.write(f"{result}\n")


class Recorder:
    def __init__(self):
        self.store = open_store_connection()

    def record(self, result):
        self.store.save(result)


recorder = Recorder()


def global_connection_in_parallel_mode():
    FlowManagerMP(square, record)  # expect: FMP103


def global_connection_in_serial_mode():
    FlowManagerMP(square, record, serial_processing=True)


def unknown_factory_that_is_not_a_connection():
    FlowManagerMP(square, record_in_cache)


def connection_through_an_unbound_module():
    FlowManagerMP(square, record_remote)  # expect: FMP103


def connection_made_inside_the_processor():
    FlowManagerMP(square, record_with_own_store)


def file_opened_inside_the_processor():
    FlowManagerMP(square, record_to_a_file)


def method_of_an_instance_holding_a_connection():
    FlowManagerMP(square, recorder.record)  # expect: FMP103


def the_same_method_in_serial_mode():
    FlowManagerMP(square, recorder.record, serial_processing=True)


def two_instances_one_after_another():
    first = FlowManagerMP(square, record_with_own_store)
    second = FlowManagerMP(square, record_with_own_store)  # expect: FMP001


def one_instance_reused():
    manager = FlowManagerMP(square, record_with_own_store)
    return manager, manager

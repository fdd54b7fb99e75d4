# ruff: noqa
# FMP101: inline lambdas and names bound to them.
from flowmanager import FlowManagerMP


def double(task):
    return task * 2


show = lambda result: print(result)


def show_def(result):
    print(result)


def inline():
    FlowManagerMP(double, lambda result: print(result))  # expect: FMP101


def global_name():
    FlowManagerMP(double, show)  # expect: FMP101


def local_name():
    local = lambda result: None
    FlowManagerMP(double, local)  # expect: FMP101


def alias_of_alias():
    first = show
    second = first
    FlowManagerMP(double, second)  # expect: FMP101


def rebound_to_def():
    handler = lambda result: None
    handler = show_def
    FlowManagerMP(double, handler)


def walrus():
    FlowManagerMP(double, (h := lambda r: r))  # expect: FMP101


def parenthesised():
    FlowManagerMP(double, (lambda r: r))  # expect: FMP101


def lambda_in_serial_mode():
    FlowManagerMP(double, show, serial_processing=True)


def from_a_parameter(callback):
    FlowManagerMP(double, callback)


def from_a_call():
    FlowManagerMP(double, make_callback())


late = lambda result: None


def reads_a_global_rebound_later():
    # By the time this function runs, the module has rebound ``late`` to a def.
    FlowManagerMP(double, late)


late = show_def
early = show_def


def reads_a_global_rebound_to_a_lambda_later():
    FlowManagerMP(double, early)  # expect: FMP101


early = lambda result: None

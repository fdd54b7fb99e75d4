# ruff: noqa
# FMP001: a second construction on the same control-flow path of one scope.
import sys

from flowmanager import FlowManagerMP


def double(task):
    return task * 2


def show(result):
    print(result)


def one_after_another():
    first = FlowManagerMP(double, show)
    second = FlowManagerMP(double, show)  # expect: FMP001
    third = FlowManagerMP(double, show)  # expect: FMP001


def after_closing():
    manager = FlowManagerMP(double, show)
    manager.close_processes()
    manager = FlowManagerMP(double, show)  # expect: FMP001


def if_elif_else():
    if len(sys.argv) > 3:
        manager = FlowManagerMP(double, show)
    elif len(sys.argv) > 2:
        manager = FlowManagerMP(double, show, serial_processing=True)
    else:
        manager = FlowManagerMP(double, show)


def if_then_after():
    if len(sys.argv) > 3:
        manager = FlowManagerMP(double, show)
    manager = FlowManagerMP(double, show)  # expect: FMP001


def branch_that_returns():
    if len(sys.argv) > 3:
        manager = FlowManagerMP(double, show)
        return manager
    return FlowManagerMP(double, show)


def branch_that_raises():
    if len(sys.argv) > 3:
        FlowManagerMP(double, show)
        raise SystemExit(1)
    FlowManagerMP(double, show)


def nested_branch_that_returns():
    if len(sys.argv) > 3:
        if len(sys.argv) > 4:
            FlowManagerMP(double, show)
            return None
    FlowManagerMP(double, show)


def conditional_expression():
    return FlowManagerMP(double, show) if sys.argv else FlowManagerMP(double, show)


def match_cases(command):
    match command:
        case "a":
            FlowManagerMP(double, show)
        case "b":
            FlowManagerMP(double, show)
        case _:
            pass


def try_except():
    try:
        FlowManagerMP(double, show)
    except OSError:
        FlowManagerMP(double, show, serial_processing=True)
    except ValueError:
        FlowManagerMP(double, show)


def try_finally():
    try:
        FlowManagerMP(double, show)
    finally:
        FlowManagerMP(double, show)  # expect: FMP001


def try_else():
    try:
        FlowManagerMP(double, show)
    except OSError:
        pass
    else:
        FlowManagerMP(double, show)  # expect: FMP001


def raise_inside_a_handled_try():
    try:
        FlowManagerMP(double, show)
        raise ValueError
    except ValueError:
        pass
    FlowManagerMP(double, show)  # expect: FMP001


def in_a_for_loop(batches):
    for batch in batches:
        FlowManagerMP(double, show)  # expect: FMP001


def in_a_while_loop():
    while True:
        FlowManagerMP(double, show)  # expect: FMP001


def in_an_async_for(batches):
    async def inner():
        async for batch in batches:
            FlowManagerMP(double, show)  # expect: FMP001


def in_a_comprehension(batches):
    return [FlowManagerMP(double, show) for batch in batches]  # expect: FMP001


def in_a_generator(batches):
    return list(FlowManagerMP(double, show) for batch in batches)  # expect: FMP001


def loop_iterable_runs_once():
    for task in FlowManagerMP(double, show).tasks():
        pass


def loop_body_break_then_after(batches):
    for batch in batches:
        if batch:
            continue
        break
    FlowManagerMP(double, show)


def continue_in_loop_branch(batches):
    for batch in batches:
        if batch:
            FlowManagerMP.instance(double, show)
            continue
        FlowManagerMP(double, show)  # expect: FMP001


def accessors_do_not_conflict():
    first = FlowManagerMP.instance(double, show)
    second = FlowManagerMP.instance(double, show)
    for batch in range(3):
        FlowManagerMP.instance(double, show)


def construction_then_accessor():
    manager = FlowManagerMP(double, show)
    same = FlowManagerMP.instance(double, show)  # expect: FMP001


def accessor_then_construction():
    manager = FlowManagerMP.instance(double, show)
    other = FlowManagerMP(double, show)  # expect: FMP001


def nested_functions_are_other_scopes():
    manager = FlowManagerMP(double, show)

    def later():
        return FlowManagerMP(double, show)

    return later


def with_block():
    with open(__file__):
        FlowManagerMP(double, show)
    FlowManagerMP(double, show)  # expect: FMP001


def both_a_nested_processor_and_a_second_instance():
    def save(result):
        pass

    FlowManagerMP(double, show)
    FlowManagerMP(double, save)  # expect: FMP102 FMP001


class Service:
    manager = FlowManagerMP(double, show)
    backup = FlowManagerMP(double, show)  # expect: FMP001


# A class body runs in the scope around it: Service's instances count here.
first_at_module_level = FlowManagerMP(double, show)  # expect: FMP001
if __name__ == "__main__":
    again_at_module_level = FlowManagerMP(double, show)  # expect: FMP001


def break_inside_an_inner_loop(batches):
    for batch in batches:
        FlowManagerMP(double, show)  # expect: FMP001
        break
    FlowManagerMP(double, show)  # expect: FMP001


def returned_from_branches(kind):
    if kind == "a":
        return FlowManagerMP(double, show)
    if kind == "b":
        return FlowManagerMP(double, show)
    raise ValueError(kind)


def raised_with_a_construction_in_it():
    if sys.argv:
        raise RuntimeError(FlowManagerMP(double, show))
    FlowManagerMP(double, show)

# ruff: noqa
# FMP102: defined inside a function, or only under the main guard.
from flowmanager import FlowManagerMP


def double(task):
    return task * 2


def top_level(result):
    print(result)


class Outer:
    def method(self):
        def inside_method(result):
            pass

        FlowManagerMP(double, inside_method)  # expect: FMP102


def nested_def():
    def save(result):
        pass

    FlowManagerMP(double, save)  # expect: FMP102


def nested_async_def():
    async def save(result):
        pass

    FlowManagerMP(double, save)  # expect: FMP102


def two_levels_deep():
    def middle():
        def save(result):
            pass

        FlowManagerMP(double, save)  # expect: FMP102


def method_of_nested_class():
    class Saver:
        def save(self, result):
            pass

    FlowManagerMP(double, Saver().save)  # expect: FMP102


def instance_of_nested_class():
    class Saver:
        def __call__(self, result):
            pass

    FlowManagerMP(double, Saver())  # expect: FMP102


def nested_class_itself():
    class Saver:
        def __init__(self, result):
            pass

    FlowManagerMP(double, Saver)  # expect: FMP102


def module_level_is_fine():
    FlowManagerMP(double, top_level)


def nested_in_serial_mode():
    def save(result):
        pass

    FlowManagerMP(double, save, serial_processing=True)


def make_saver():
    def save(result):
        pass

    return save


def make_lambda():
    return lambda result: result


def make_top_level():
    return top_level


def make_saver_for(path):
    def save(result):
        print(path, result)

    return save


def make_saver_lazily():
    def save(result):
        pass

    yield save  # calling it makes a generator, not the function


def returned_by_a_factory_without_arguments():
    FlowManagerMP(double, make_saver())  # expect: FMP102


def returned_by_a_factory_through_a_name():
    saver = make_saver()
    FlowManagerMP(double, saver)  # expect: FMP102


def lambda_returned_by_a_factory():
    FlowManagerMP(double, make_lambda())  # expect: FMP101


def module_level_function_returned_by_a_factory():
    FlowManagerMP(double, make_top_level())


def returned_by_a_factory_with_arguments():
    FlowManagerMP(double, make_saver_for("out.txt"))  # expect: FMP102


def returned_by_a_generator_function():
    FlowManagerMP(double, make_saver_lazily())


def returned_by_a_factory_in_serial_mode():
    FlowManagerMP(double, make_saver(), serial_processing=True)


if __name__ == "__main__":

    def only_in_main(result):
        pass

    def top_level(result):  # also defined at module level above: a child finds it
        pass

    class MainSaver:
        def save(self, result):
            pass

    FlowManagerMP(double, only_in_main)  # expect: FMP102

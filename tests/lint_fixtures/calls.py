# ruff: noqa
# Which calls are FlowManagerMP: imports, aliases, re-exports, a bare name, the accessor.
import flow4ai.flowmanagerMP as fm
import flowmanager
import mylib.reexport as rx
from flowmanager import FlowManagerMP as FM


def double(task):
    return task * 2


def through_module():
    flowmanager.FlowManagerMP(double, lambda r: r)  # expect: FMP101


def through_module_alias():
    fm.FlowManagerMP(double, lambda r: r)  # expect: FMP101


def through_reexport():
    rx.FlowManagerMP(double, lambda r: r)  # expect: FMP101


def through_name_alias():
    FM(double, lambda r: r)  # expect: FMP101


def bare_undefined_name():
    FlowManagerMP(double, lambda r: r)  # expect: FMP101


def accessor_is_checked():
    FM.instance(double, lambda r: r)  # expect: FMP101


def accessor_through_module():
    flowmanager.FlowManagerMP.instance(double, lambda r: r)  # expect: FMP101


def other_calls_are_not():
    flowmanager.OtherManager(double, lambda r: r)
    fm.FlowManagerMPX(double, lambda r: r)
    double(double, lambda r: r)


def multi_line_call():
    FM(
        double,
        lambda r: r,  # expect: FMP101
    )


def parameter_named_like_it(FlowManagerMP):
    # A parameter is a local binding, not the import: not recognised.
    FlowManagerMP(double, lambda r: r)


Manager = FM
Pool = flowmanager.FlowManagerMP


def through_an_assigned_alias():
    Manager(double, lambda r: r)  # expect: FMP101


def through_an_assigned_attribute_alias():
    Pool.instance(double, lambda r: r)  # expect: FMP101


def through_a_module_the_file_never_binds():
    # Bound nowhere in the file (a star import, an injected global): taken at its word.
    unseen.FlowManagerMP(double, lambda r: r)  # expect: FMP101


def attribute_of_a_parameter(registry):
    # ``registry`` is some object; its attribute is not the imported class.
    registry.FlowManagerMP(double, lambda r: r)
    registry.FlowManagerMP.instance(double, lambda r: r)


class Holder:
    FlowManagerMP = FM

    def build(self):
        self.FlowManagerMP(double, lambda r: r)


holder = Holder()


def attribute_of_a_module_level_object():
    holder.FlowManagerMP(double, lambda r: r)


def attribute_of_a_local_variable():
    box = object()
    box.FlowManagerMP(double, lambda r: r)

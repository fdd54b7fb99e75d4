# ruff: noqa
# The result processor is the 2nd positional or on_complete; the serial flag the 3rd
# positional or serial_processing. Only literal parallel modes are reported.
from flowmanager import FlowManagerMP


def double(task):
    return task * 2


def positional():
    FlowManagerMP(double, lambda r: r)  # expect: FMP101


def keyword():
    FlowManagerMP(double, on_complete=lambda r: r)  # expect: FMP101


def keyword_first():
    FlowManagerMP(on_complete=lambda r: r, job=double)  # expect: FMP101


def serial_positional_true():
    FlowManagerMP(double, lambda r: r, True)


def serial_keyword_true():
    FlowManagerMP(double, lambda r: r, serial_processing=True)


def serial_keyword_false():
    FlowManagerMP(double, lambda r: r, serial_processing=False)  # expect: FMP101


def serial_positional_false():
    FlowManagerMP(double, lambda r: r, False)  # expect: FMP101


def serial_zero():
    FlowManagerMP(double, lambda r: r, serial_processing=0)  # expect: FMP101


def serial_none():
    FlowManagerMP(double, lambda r: r, serial_processing=None)  # expect: FMP101


def serial_unknown(flag):
    FlowManagerMP(double, lambda r: r, serial_processing=flag)


def serial_in_kwargs(**options):
    FlowManagerMP(double, lambda r: r, **options)


def serial_in_args(*rest):
    FlowManagerMP(double, lambda r: r, *rest)


def processor_in_args(*rest):
    FlowManagerMP(double, *rest)


def no_processor():
    FlowManagerMP(double)


def processor_is_none():
    FlowManagerMP(double, None)

# ruff: noqa
# The main guard, either way round, in nested blocks; a name also bound outside is fine.
from flowmanager import FlowManagerMP


def double(task):
    return task * 2


def run(handler):
    FlowManagerMP(double, handler)


if "__main__" == __name__:
    try:

        class MainSaver:
            def save(self, result):
                pass

    finally:
        pass

    def elsewhere(result):
        pass

    manager = FlowManagerMP.instance(double, MainSaver().save)  # expect: FMP102
    other = FlowManagerMP.instance(double, elsewhere)
else:

    def elsewhere(result):
        pass

# ruff: noqa
# A class the file defines under the name is somebody else's FlowManagerMP.


class FlowManagerMP:
    def __init__(self, job, on_complete=None):
        self.job = job


first = FlowManagerMP(print, lambda r: r)
second = FlowManagerMP(print, lambda r: r)
FlowManagerMP.instance(print, lambda r: r)

"""The FlowManagerMP rule catalog: one set of rules, as data, read by both halves.

The runtime guard (``flowmanager._guard``, introspection) and the linter
(``flowmanager_lint``, libcst) each build the same small record of a result
processor, a :class:`ProcessorInfo`, and hand it to :func:`judge_processor`.
That one function turns the record into at most one :class:`Violation`, so a
lint finding and a runtime error carry the same code, words and fix.

This module imports nothing beyond the standard library's lightest modules:
the linter imports it, and it must not drag in libcst, psutil or cloudpickle
(a test checks this in a fresh interpreter).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from textwrap import dedent
from types import MappingProxyType

__all__ = [
    "DOCS_DIR",
    "MAIN_BLOCK",
    "MAIN_BLOCK_REASON",
    "NESTED_REASON",
    "RULES",
    "UNPICKLABLE_FACTORIES",
    "UNPICKLABLE_NAME_PARTS",
    "UNPICKLABLE_TYPES",
    "Captured",
    "Example",
    "ProcessorInfo",
    "Rule",
    "Violation",
    "captured_path",
    "get_rule",
    "inside_function",
    "is_unpicklable_factory",
    "judge_instances",
    "judge_processor",
]

#: Where the rendered rule pages live, relative to the project root.
DOCS_DIR = "docs/rules"

FMP001 = "FMP001"
FMP101 = "FMP101"
FMP102 = "FMP102"
FMP103 = "FMP103"
FMP104 = "FMP104"


@dataclass(frozen=True)
class Example:
    """A complete script that shows a rule, used by the tests and the docs.

    ``codes`` are the codes the linter reports for it. ``runtime`` says whether
    the script can run on a machine with nothing but this project installed;
    ``runtime_codes`` is what the runtime raises when that differs from the
    linter (``None``: the same as ``codes``).
    """

    title: str
    code: str
    codes: tuple[str, ...] = ()
    runtime: bool = True
    runtime_codes: tuple[str, ...] | None = None

    @property
    def expected_runtime_codes(self) -> tuple[str, ...]:
        return self.codes if self.runtime_codes is None else self.runtime_codes


@dataclass(frozen=True)
class Rule:
    """One rule: its identity, its words, and the examples that show it.

    ``message`` and ``fix`` are ``str.format`` templates. Their fields come from
    a :class:`ProcessorInfo` (``name``, ``where``, ``reason``, ``culprit``,
    ``type``, ``root``) or, for FMP001, from the front end (``where``).
    ``sample`` fills them for the rendered docs.
    """

    code: str
    name: str
    summary: str
    message: str
    fix: str
    why: str
    use_instead: str
    known_problems: str
    error: str
    sample: Mapping[str, str]
    bad: tuple[Example, ...]
    good: tuple[Example, ...]
    #: Fields that read differently at run time (a type instead of a factory).
    runtime_sample: Mapping[str, str] = field(default_factory=dict)
    #: What the runtime error says was expected instead.
    expected: str = ""
    #: False for a rule only the runtime can check (it needs the live objects).
    linted: bool = True
    #: The words of the ``{reason}`` field, by kind of finding: the front ends pass the
    #: kind (``reason="main-block"``) and :meth:`format` puts these words in its place.
    reasons: Mapping[str, str] = field(default_factory=dict)
    #: More fillings of the templates for the rule page, each under a caption that says
    #: when its words apply (another ``reason``, say); the fields override ``sample``.
    other_samples: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @property
    def doc_path(self) -> str:
        return f"{DOCS_DIR}/{self.code}.md"

    def format(self, **fields: str) -> Violation:
        """Fill the templates; missing fields are a programming error (KeyError), and so
        is a ``reason`` that names no entry of :attr:`reasons`."""
        if self.reasons:
            fields = {**fields, "reason": self.reasons[fields["reason"]].format(**fields)}
        return Violation(
            code=self.code,
            name=self.name,
            message=self.message.format(**fields),
            hint=self.fix.format(**fields),
            culprit=fields.get("culprit"),
        )


@dataclass(frozen=True)
class Violation:
    """A broken rule, as both halves report it.

    ``message`` says what is wrong and why; ``hint`` says what to do.
    """

    code: str
    name: str
    message: str
    hint: str
    culprit: str | None = None

    @property
    def rule(self) -> Rule:
        return get_rule(self.code)

    @property
    def lint_text(self) -> str:
        """The one-line text the linter prints after the location."""
        return f"{self.code} {self.message}; fix: {self.hint}"

    def __str__(self) -> str:
        return self.lint_text


@dataclass(frozen=True)
class Captured:
    """A value a result processor carries into the result process.

    ``path`` says how to reach it from the processor
    (``process_result.__globals__['db']``), ``type`` what it is
    (``sqlite3.Connection`` at run time, ``sqlite3.connect() result`` when
    linting) and ``root`` the name the fix should talk about (``db``).
    ``whole`` is set when the culprit is a whole instance (only the runtime
    judges those): ``root`` is then its class name, and the fix talks about
    "the TextIOWrapper object".
    """

    path: str
    type: str
    root: str
    whole: bool = False


@dataclass(frozen=True)
class ProcessorInfo:
    """What both front ends learn about one result processor.

    ``enclosing`` is set when the processor is defined where a child process
    cannot find it: inside a function (``'main()'``) or only inside the
    ``if __name__ == "__main__":`` block. ``unpicklable`` is the first
    captured value that cannot be pickled, if any. ``unimportable`` says why
    pickle could not find the processor by name when nothing above explains it.
    """

    name: str
    is_lambda: bool = False
    enclosing: str | None = None
    unpicklable: Captured | None = None
    captured: tuple[Captured, ...] = field(default=())
    #: Why pickle cannot find the processor by its module and name (runtime only).
    unimportable: str | None = None


def judge_processor(info: ProcessorInfo, serial_processing: bool | None) -> Violation | None:
    """The one judgement: at most one violation, the first of FMP101, FMP102, FMP103, FMP104.

    ``serial_processing`` is ``None`` when it is unknown (a linter that sees a
    variable); then nothing is reported.
    """
    if serial_processing is None or serial_processing:
        return None
    quoted = f"'{info.name}'"
    if info.is_lambda:
        return get_rule(FMP101).format(name=quoted)
    if info.enclosing is not None:
        reason = MAIN_BLOCK_REASON if info.enclosing == MAIN_BLOCK else NESTED_REASON
        return get_rule(FMP102).format(name=quoted, where=info.enclosing, reason=reason)
    if info.unpicklable is not None:
        cap = info.unpicklable
        root = f"the {cap.root} object" if cap.whole else f"'{cap.root}'"
        return get_rule(FMP103).format(name=quoted, culprit=cap.path, type=cap.type, root=root)
    if info.unimportable is not None:
        return get_rule(FMP104).format(name=quoted, where=info.unimportable)
    return None


#: ``ProcessorInfo.enclosing`` for a function defined only under the main guard.
MAIN_BLOCK = "the 'if __name__ == \"__main__\":' block"

#: FMP001's kinds of finding, the keys of its ``reasons``.
SECOND_REASON = "second"
ACCESSOR_REASON = "accessor"

#: FMP102's kinds of finding, the keys of its ``reasons``.
NESTED_REASON = "nested"
MAIN_BLOCK_REASON = "main-block"


def inside_function(qualified_name: str) -> str:
    """``ProcessorInfo.enclosing`` for a definition inside the function ``qualified_name``
    (``main`` or ``Outer.method``; a runtime ``__qualname__`` prefix without ``.<locals>``)."""
    return f"'{qualified_name.replace('.<locals>', '')}()'"


def captured_path(kind: str, owner: str, key: str | int) -> str:
    """The path that names a captured value, the same in both halves.

    ``kind`` is ``global``, ``closure``, ``default``, ``kwdefault``, ``self``,
    ``partial-arg`` or ``partial-keyword``; ``owner`` the processor's name
    (the wrapped function's for a partial); ``key`` the variable, parameter,
    attribute path or argument index.
    """
    forms = {
        "global": "{o}.__globals__[{k!r}]",
        "closure": "{o}.__closure__[{k!r}]",
        "default": "{o}.__defaults__[{k!r}]",
        "kwdefault": "{o}.__kwdefaults__[{k!r}]",
        "self": "{o}.__self__.{k}",
        "partial-arg": "partial({o}).args[{k}]",
        "partial-keyword": "partial({o}).keywords[{k!r}]",
    }
    return forms[kind].format(o=owner, k=key)


def judge_instances(where: str, *, accessor: bool = False) -> Violation:
    """FMP001: a second instance; ``where`` says where the first one is. ``accessor``: the
    later call is ``FlowManagerMP.instance()`` after a direct construction (lint only)."""
    return get_rule(FMP001).format(where=where,
                                   reason=ACCESSOR_REASON if accessor else SECOND_REASON)


# -- the table of things that cannot cross a process boundary ---------------

#: Callables (by qualified name) whose result cannot be pickled.
UNPICKLABLE_FACTORIES: frozenset[str] = frozenset(
    {
        # files
        "open",
        "builtins.open",
        "io.open",
        "io.FileIO",
        "io.open_code",
        "os.fdopen",
        "codecs.open",
        "gzip.open",
        "bz2.open",
        "lzma.open",
        "tempfile.TemporaryFile",
        "tempfile.NamedTemporaryFile",
        "tempfile.SpooledTemporaryFile",
        # sockets and network clients
        "socket.socket",
        "socket.create_connection",
        "socket.create_server",
        "socket.socketpair",
        "http.client.HTTPConnection",
        "http.client.HTTPSConnection",
        "urllib.request.urlopen",
        "aiohttp.ClientSession",
        # databases
        "sqlite3.connect",
        "psycopg2.connect",
        "psycopg.connect",
        "pymysql.connect",
        "mysql.connector.connect",
        "redis.Redis",
        "redis.StrictRedis",
        "redis.from_url",
        "pymongo.MongoClient",
        "sqlalchemy.create_engine",
        "boto3.client",
        "boto3.resource",
        "boto3.session.Session",
        # threads and their synchronisation
        "threading.Lock",
        "threading.RLock",
        "threading.Condition",
        "threading.Semaphore",
        "threading.BoundedSemaphore",
        "threading.Event",
        "threading.Barrier",
        "threading.Thread",
        "threading.Timer",
        "_thread.allocate_lock",
        "queue.Queue",
        "queue.LifoQueue",
        "queue.PriorityQueue",
        "queue.SimpleQueue",
        "multiprocessing.Lock",
        "multiprocessing.RLock",
        "multiprocessing.Queue",
        "multiprocessing.Pool",
        # processes and executors
        "subprocess.Popen",
        "concurrent.futures.ThreadPoolExecutor",
        "concurrent.futures.ProcessPoolExecutor",
        "concurrent.futures.thread.ThreadPoolExecutor",
        "concurrent.futures.process.ProcessPoolExecutor",
        # logging handlers hold a lock and often a stream
        "logging.FileHandler",
        "logging.StreamHandler",
        "logging.handlers.RotatingFileHandler",
        "logging.handlers.TimedRotatingFileHandler",
        "logging.handlers.WatchedFileHandler",
        "logging.handlers.SocketHandler",
        "logging.handlers.QueueHandler",
    }
)

#: Run-time types (``module.qualname``, as ``type(x)`` reports them) that
#: cannot be pickled. The guard checks every class in a value's MRO.
UNPICKLABLE_TYPES: frozenset[str] = frozenset(
    {
        "_io.TextIOWrapper",
        "_io.BufferedReader",
        "_io.BufferedWriter",
        "_io.BufferedRandom",
        "_io.FileIO",
        "tempfile._TemporaryFileWrapper",
        "tempfile.SpooledTemporaryFile",
        "socket.socket",
        "_socket.socket",
        "sqlite3.Connection",
        "sqlite3.Cursor",
        "_thread.lock",
        "_thread.RLock",
        "threading.Condition",
        "threading.Semaphore",
        "threading.BoundedSemaphore",
        "threading.Event",
        "threading.Barrier",
        "threading.Thread",
        "queue.Queue",
        "_queue.SimpleQueue",
        "subprocess.Popen",
        "concurrent.futures._base.Executor",
        "logging.Handler",
        "builtins.generator",
        "builtins.coroutine",
        "builtins.async_generator",
        "multiprocessing.synchronize.SemLock",
        "multiprocessing.queues.Queue",
        "multiprocessing.pool.Pool",
    }
)

#: The name rule: a factory whose last name component holds one of these
#: (case-insensitive) is taken to return a connection, which cannot be pickled.
UNPICKLABLE_NAME_PARTS: tuple[str, ...] = ("connect", "connection")


def is_unpicklable_factory(qualified_name: str, extra: frozenset[str] = frozenset()) -> bool:
    """Whether calling ``qualified_name`` yields something that cannot be pickled."""
    if qualified_name in UNPICKLABLE_FACTORIES or qualified_name in extra:
        return True
    last = qualified_name.rsplit(".", 1)[-1].lower()
    return any(part in last for part in UNPICKLABLE_NAME_PARTS)


# -- the rules ---------------------------------------------------------------


def _ex(title: str, code: str, *codes: str, runtime: bool = True,
        runtime_codes: tuple[str, ...] | None = None) -> Example:
    return Example(title, dedent(code).lstrip("\n"), tuple(codes), runtime, runtime_codes)


_OWN_IMPORT = "from flowmanager import FlowManagerMP"

_JOB = '''
def double(task):
    return task * 2
'''

_RULES: tuple[Rule, ...] = (
    Rule(
        code=FMP001,
        name="multiple-instances",
        summary="Finds a second FlowManagerMP created in the same process.",
        message="{reason}",
        reasons={
            SECOND_REASON: (
                "a second FlowManagerMP is created {where}; one instance runs every job of a "
                "process, so another one only competes with it for the same CPUs"
            ),
            ACCESSOR_REASON: (
                "FlowManagerMP.instance() is called {where}, after a direct construction; it "
                "returns that instance and ignores its own arguments, so mixing the accessor "
                "with a construction hides which arguments apply"
            ),
        },
        fix="create one FlowManagerMP and reuse it (FlowManagerMP.instance() returns the live one)",
        why=(
            "One FlowManagerMP already spreads its jobs over the CPUs the process may use and "
            "keeps 10,000 and more of them in flight. A second instance starts its own "
            "executor and result processes, which fight the first for the same CPUs and "
            "memory, and its results arrive in another result processor. The runtime refuses "
            "a second instance while the first is still open."
        ),
        use_instead=(
            "Create the instance once, at the top of the program, and submit every task to "
            "it. Code that cannot pass the instance around can call "
            "`FlowManagerMP.instance(...)`, which creates it the first time and returns the "
            "same one after that."
        ),
        known_problems=(
            "The linter reports a construction that follows `close_processes()` on the same "
            "path, because the guidelines say to reuse the one instance; the runtime only "
            "refuses two instances that are open at the same time. It also reports "
            "`FlowManagerMP.instance()` after a direct construction on the same path: at run "
            "time that returns the first instance and ignores its arguments, so use one "
            "style. The linter checks one scope at a time: two constructions in different "
            "functions are not reported."
        ),
        expected="one FlowManagerMP per process, created once and reused",
        error="MultipleInstancesError",
        sample={"where": "on the same path as the one at line 10", "reason": SECOND_REASON},
        runtime_sample={"where": "while the one created at app.py:10 is still open (pid 4242)"},
        other_samples={
            "For `FlowManagerMP.instance()` after a direct construction (lint only)": {
                "where": "on the same path as the one at line 10",
                "reason": ACCESSOR_REASON,
            },
        },
        bad=(
            _ex("Two instances, one after the other", _JOB + '''

def show(result):
    print(result)


first = FlowManagerMP(double, show)
second = FlowManagerMP(double, show)
''', FMP001),
            _ex("An instance per loop iteration", _JOB + '''

def show(result):
    print(result)


for batch in ([1, 2], [3, 4]):
    manager = FlowManagerMP(double, show)
    manager.submit_task(batch)
''', FMP001),
            _ex("A new instance after closing the first", _JOB + '''

def show(result):
    print(result)


manager = FlowManagerMP(double, show)
manager.submit_task([1, 2])
manager.close_processes()
manager = FlowManagerMP(double, show)
manager.submit_task([3, 4])
manager.close_processes()
''', FMP001, runtime_codes=()),
        ),
        good=(
            _ex("One instance for every task", _JOB + '''

def show(result):
    print(result)


manager = FlowManagerMP(double, show)
for batch in ([1, 2], [3, 4]):
    manager.submit_task(batch)
manager.close_processes()
'''),
            _ex("Exclusive branches create at most one", _JOB + '''
import sys


def show(result):
    print(result)


if len(sys.argv) > 5:
    manager = FlowManagerMP(double, show, serial_processing=True)
else:
    manager = FlowManagerMP(double, show)
manager.submit_task([1, 2, 3])
manager.close_processes()
'''),
            _ex("The shared accessor returns the live instance", _JOB + '''

def show(result):
    print(result)


manager = FlowManagerMP.instance(double, show)
same = FlowManagerMP.instance(double, show)
assert manager is same
manager.submit_task([1, 2, 3])
manager.close_processes()
'''),
        ),
    ),
    Rule(
        code=FMP101,
        name="lambda-result-processor",
        summary="Finds a lambda passed as the result processor in parallel mode.",
        message=(
            "result processor {name} is a lambda; a lambda has no importable name, so it "
            "cannot be pickled for parallel result processing"
        ),
        fix="define the result processor with def at module level, or pass serial_processing=True",
        why=(
            "In parallel mode (the default) results are processed in a process of their own, "
            "and the result processor is sent there by pickling it. Pickle sends a function "
            "as its module and name, and the other process imports it from there. A lambda "
            "has no name to import, so the pickling fails and no result is ever processed."
        ),
        use_instead=(
            "Write the result processor as a `def` at module level. If it must use objects "
            "that live in this process, pass `serial_processing=True`: results are then "
            "processed here, after the jobs finish, and any callable will do."
        ),
        known_problems=(
            "The linter follows a lambda through a name bound to it and through a function "
            "of the same file that returns it; a lambda that reaches the call through an "
            "import, a method call or a generator is not seen. The runtime guard sees them all."
        ),
        expected="a result processor defined with def at module level",
        error="UnpicklableResultProcessorError",
        sample={"name": "'<lambda>'"},
        bad=(
            _ex("Inline lambda", _JOB + '''

manager = FlowManagerMP(double, lambda result: print(result))
''', FMP101),
            _ex("A name bound to a lambda", _JOB + '''

show = lambda result: print(result)

manager = FlowManagerMP(double, on_complete=show)
''', FMP101),
        ),
        good=(
            _ex("A module-level function", _JOB + '''

def show(result):
    print(result)


manager = FlowManagerMP(double, show)
manager.submit_task([1, 2, 3])
manager.close_processes()
'''),
            _ex("A lambda in serial mode", _JOB + '''

manager = FlowManagerMP(double, lambda result: print(result), serial_processing=True)
manager.submit_task([1, 2, 3])
manager.close_processes()
'''),
        ),
    ),
    Rule(
        code=FMP102,
        name="nested-result-processor",
        summary=(
            "Finds a result processor defined inside a function, or only inside the "
            '`if __name__ == "__main__":` block, passed in parallel mode.'
        ),
        message="result processor {name} is defined inside {where}; {reason}",
        reasons={
            NESTED_REASON: "a nested function cannot be pickled for parallel result processing",
            MAIN_BLOCK_REASON: (
                "a child process started with spawn or forkserver never runs that block, so "
                "it cannot find {name}"
            ),
        },
        fix="move {name} to module level, or pass serial_processing=True",
        why=(
            "The result process receives the result processor by name: pickle records its "
            "module and qualified name and the other process imports it. A function defined "
            "inside another function (or a method of a class defined there) exists only "
            "while that function runs, so it cannot be imported and pickling fails. A "
            'function defined only inside `if __name__ == "__main__":` pickles, but a child '
            "started with spawn or forkserver never runs that block, so it cannot find the "
            "function."
        ),
        use_instead=(
            "Define the result processor at module level, above the "
            '`if __name__ == "__main__":` block. Pass it whatever it needs through the '
            "results, or create it inside the function. Or pass `serial_processing=True` to "
            "process the results in this process."
        ),
        known_problems=(
            "A decorator defined in another module that returns an inner function without "
            "`functools.wraps` is not seen by the linter; the runtime guard reports it. A "
            "function returned by a call is followed only into functions of the same file "
            "(not methods, imports, generators or async functions); with several returns, "
            "the first one the linter can resolve decides."
        ),
        expected="a result processor defined at module level, where a child process can import it",
        error="UnpicklableResultProcessorError",
        sample={"name": "'save'", "where": "'main()'", "reason": NESTED_REASON},
        other_samples={
            'For a function defined only inside `if __name__ == "__main__":`': {
                "where": MAIN_BLOCK, "reason": MAIN_BLOCK_REASON,
            },
        },
        bad=(
            _ex("Defined inside a function", _JOB + '''

def main():
    def save(result):
        print(result)

    manager = FlowManagerMP(double, save)
    manager.submit_task([1, 2, 3])
    manager.close_processes()


main()
''', FMP102),
            _ex("Defined only under the main guard", _JOB + '''

if __name__ == "__main__":
    def save(result):
        print(result)

    manager = FlowManagerMP(double, save)
    manager.submit_task([1, 2, 3])
    manager.close_processes()
''', FMP102),
            _ex("A method of a class defined inside a function", _JOB + '''

def main():
    class Saver:
        def save(self, result):
            print(result)

    manager = FlowManagerMP(double, Saver().save)
    manager.close_processes()


main()
''', FMP102),
            _ex("A decorator that returns an inner function", _JOB + '''

def logged(func):
    def wrapper(result):
        print("processing", result)
        return func(result)

    return wrapper


@logged
def save(result):
    print(result)


manager = FlowManagerMP(double, save)
''', FMP102),
        ),
        good=(
            _ex("Defined at module level, above the main guard", _JOB + '''

def save(result):
    print(result)


def main():
    manager = FlowManagerMP(double, save)
    manager.submit_task([1, 2, 3])
    manager.close_processes()


if __name__ == "__main__":
    main()
'''),
            _ex("A nested function in serial mode", _JOB + '''

def main():
    seen = []

    def save(result):
        seen.append(result)

    manager = FlowManagerMP(double, save, serial_processing=True)
    manager.submit_task([1, 2, 3])
    manager.close_processes()
    print(sorted(seen))


main()
'''),
            _ex("A decorator that keeps the name with functools.wraps", _JOB + '''
import functools


def logged(func):
    @functools.wraps(func)
    def wrapper(result):
        print("processing", result)
        return func(result)

    return wrapper


@logged
def save(result):
    print(result)


manager = FlowManagerMP(double, save)
manager.submit_task([1, 2, 3])
manager.close_processes()
'''),
        ),
    ),
    Rule(
        code=FMP103,
        name="unpicklable-captured-state",
        summary=(
            "Finds a result processor that carries state which cannot be pickled: a closure "
            "variable, a module global it uses, a default value, the instance of a bound "
            "method or a `functools.partial` argument."
        ),
        message=(
            "result processor {name} captures {culprit} ({type}), which cannot be pickled, so "
            "the result process would not get it"
        ),
        fix=(
            "create {root} inside the result processor instead, or pass serial_processing=True "
            "to process results in this process"
        ),
        why=(
            "The result process gets the result processor by pickling, and what the "
            "processor uses must reach it too. A connection, an open file, a lock or a thread "
            "belongs to this process and cannot be pickled. Depending on how the child "
            "starts, it would find the value missing, silently re-created by importing the "
            "module again, or as a copy of this process's object that shares a socket or "
            "file descriptor with it and breaks both."
        ),
        use_instead=(
            "Create the resource inside the result processor, where it belongs to the "
            "process that uses it; what happens inside the function is not restricted. Or "
            "keep the resource here and pass `serial_processing=True`."
        ),
        known_problems=(
            "The linter knows the factories in the catalog's table (and any that contain "
            "`connect` or `connection` in their name) and trusts names imported from other "
            "modules. The runtime guard pickles every captured value, so it also finds what "
            "the linter cannot see."
        ),
        expected="a result processor whose captured state can be pickled",
        error="UnpicklableResultProcessorError",
        sample={
            "name": "'process_result'",
            "culprit": "process_result.__globals__['db']",
            "type": "sqlite3.connect() result",
            "root": "'db'",
        },
        runtime_sample={"type": "sqlite3.Connection"},
        bad=(
            _ex("A module global holding a connection", '''
import sqlite3

from flowmanager import FlowManagerMP

db = sqlite3.connect(":memory:")

''' + _JOB + '''

def process_result(result):
    db.execute("SELECT ?", (result,))


manager = FlowManagerMP(double, process_result)
''', FMP103),
            _ex("A decorator's closure holding a lock", _JOB + '''
import functools
import threading


def serialized(func):
    lock = threading.Lock()

    @functools.wraps(func)
    def wrapper(result):
        with lock:
            return func(result)

    return wrapper


@serialized
def save(result):
    print(result)


manager = FlowManagerMP(double, save)
''', FMP103),
            _ex("A default value that is an open file", _JOB + '''

def save(result, out=open(__file__)):
    print(result, out.name)


manager = FlowManagerMP(double, save)
''', FMP103),
            _ex("A bound method of an object holding a connection", '''
import sqlite3

from flowmanager import FlowManagerMP
''' + _JOB + '''

class Processor:
    def __init__(self):
        self.db = sqlite3.connect(":memory:")

    def process_result(self, result):
        self.db.execute("SELECT ?", (result,))


processor = Processor()
manager = FlowManagerMP(double, processor.process_result)
''', FMP103),
            _ex("A partial that binds a connection", '''
import functools
import sqlite3

from flowmanager import FlowManagerMP
''' + _JOB + '''

def save(db, result):
    db.execute("SELECT ?", (result,))


manager = FlowManagerMP(double, functools.partial(save, sqlite3.connect(":memory:")))
''', FMP103),
            _ex("A global client from a database library", '''
import psycopg2

from flowmanager import FlowManagerMP
''' + _JOB + '''

conn = psycopg2.connect("dbname=results")


def process_result(result):
    with conn.cursor() as cur:
        cur.execute("INSERT INTO results VALUES (%s)", (result,))


manager = FlowManagerMP(double, process_result)
''', FMP103, runtime=False),
        ),
        good=(
            _ex("Create the connection inside the function", '''
import sqlite3

from flowmanager import FlowManagerMP
''' + _JOB + '''

def process_result(result):
    db = sqlite3.connect(":memory:")
    db.execute("SELECT ?", (result,))
    db.close()


manager = FlowManagerMP(double, process_result)
manager.submit_task([1, 2, 3])
manager.close_processes()
'''),
            _ex("Keep the connection and process results serially", '''
import sqlite3

from flowmanager import FlowManagerMP
''' + _JOB + '''

class Processor:
    def __init__(self):
        self.db = sqlite3.connect(":memory:")

    def process_result(self, result):
        self.db.execute("SELECT ?", (result,))


processor = Processor()
manager = FlowManagerMP(double, processor.process_result, serial_processing=True)
manager.submit_task([1, 2, 3])
manager.close_processes()
'''),
            _ex("Plain data in globals and partials travels fine", '''
import functools

from flowmanager import FlowManagerMP
''' + _JOB + '''

SETTINGS = {"prefix": "result:"}


def save(prefix, result):
    print(prefix, SETTINGS["prefix"], result)


manager = FlowManagerMP(double, functools.partial(save, "got"))
manager.submit_task([1, 2, 3])
manager.close_processes()
'''),
        ),
    ),
    Rule(
        code=FMP104,
        name="unimportable-result-processor",
        summary=(
            "Finds, at run time, a result processor that pickle cannot find by its module and "
            "name for a reason the other rules do not cover: its name was bound again to "
            "something else, or its module cannot be imported under that name."
        ),
        message=(
            "result processor {name} cannot be found by its name: {where}; pickle sends a "
            "function as its module and name, so the result process would not get it"
        ),
        fix=(
            "pass a function defined once, at module level, under its own name, or pass "
            "serial_processing=True"
        ),
        why=(
            "The result process receives the result processor as a module and a name and "
            "looks it up there. When that name now means another object, or the module was "
            "loaded in a way that does not register it under its name, the lookup fails or "
            "finds the wrong function, and no result is processed."
        ),
        use_instead=(
            "Define the result processor once, at module level of a module that is imported "
            "normally, and pass that function. Or pass `serial_processing=True`."
        ),
        known_problems=(
            "Only the runtime checks this rule: which object a name holds when the result "
            "processor is pickled, and how its module was loaded, are facts of the running "
            "program, so the linter does not report it."
        ),
        expected="a result processor that its module and name lead back to",
        error="UnpicklableResultProcessorError",
        sample={"name": "'save'", "where": "__main__.save is another object now"},
        linted=False,
        bad=(
            _ex("The name was bound again to another function", _JOB + '''

def save(result):
    print(result)


handler = save


def save(result):
    print("saved", result)


manager = FlowManagerMP(double, handler)
''', runtime_codes=(FMP104,)),
        ),
        good=(
            _ex("One function under one name", _JOB + '''

def save(result):
    print("saved", result)


handler = save
manager = FlowManagerMP(double, handler)
manager.submit_task([1, 2, 3])
manager.close_processes()
'''),
        ),
    ),
)


def _tidy(code: str) -> str:
    """Gather an example's imports at its top, as a person would write them."""
    lines = code.splitlines()
    imports = sorted({ln for ln in lines if ln.startswith(("import ", "from "))} - {_OWN_IMPORT})
    body = "\n".join(ln for ln in lines if not ln.startswith(("import ", "from "))).strip("\n")
    head = "\n".join(imports) + "\n\n" if imports else ""
    return f"{head}{_OWN_IMPORT}\n\n\n{body}\n".replace("\n\n\n\n", "\n\n\n")


def _with_imports(rule: Rule) -> Rule:
    def tidy(ex: Example) -> Example:
        return replace(ex, code=_tidy(ex.code))

    return replace(rule, sample=MappingProxyType(dict(rule.sample)),
                   runtime_sample=MappingProxyType(dict(rule.runtime_sample)),
                   reasons=MappingProxyType(dict(rule.reasons)),
                   other_samples=MappingProxyType(
                       {k: MappingProxyType(dict(v)) for k, v in rule.other_samples.items()}
                   ),
                   bad=tuple(map(tidy, rule.bad)), good=tuple(map(tidy, rule.good)))


#: Every rule, by code, in code order.
RULES: Mapping[str, Rule] = MappingProxyType({r.code: _with_imports(r) for r in _RULES})


def get_rule(code: str) -> Rule:
    """The rule with this code; ``KeyError`` names the known codes."""
    try:
        return RULES[code]
    except KeyError:
        raise KeyError(f"no rule {code!r}; known: {', '.join(RULES)}") from None

"""The catalog itself: fixed codes, complete records, one judgement with a fixed precedence."""

from __future__ import annotations

import pytest

from flowmanager import rules
from flowmanager.rules import Captured, ProcessorInfo, judge_processor


def test_the_codes_and_names_are_fixed() -> None:
    assert {c: r.name for c, r in rules.RULES.items()} == {
        "FMP001": "multiple-instances",
        "FMP101": "lambda-result-processor",
        "FMP102": "nested-result-processor",
        "FMP103": "unpicklable-captured-state",
        "FMP104": "unimportable-result-processor",
    }


@pytest.mark.parametrize("code", list(rules.RULES))
def test_every_rule_fills_its_templates_from_its_sample(code: str) -> None:
    rule = rules.RULES[code]
    others = [{**rule.sample, **fields} for fields in rule.other_samples.values()]
    for fields in (rule.sample, {**rule.sample, **rule.runtime_sample}, *others):
        v = rule.format(**fields)
        assert "{" not in v.message and "{" not in v.hint
        assert v.lint_text == f"{code} {v.message}; fix: {v.hint}"


CAPTURED = Captured("save.__closure__['lock']", "_thread.lock", "lock")


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        (ProcessorInfo("f"), None),
        (ProcessorInfo("<lambda>", is_lambda=True, enclosing="'main()'", unpicklable=CAPTURED),
         "FMP101"),
        (ProcessorInfo("save", enclosing="'main()'", unpicklable=CAPTURED), "FMP102"),
        (ProcessorInfo("save", unpicklable=CAPTURED, unimportable="x"), "FMP103"),
        (ProcessorInfo("save", unimportable="__main__.save is another object now"), "FMP104"),
    ],
)
def test_precedence_is_101_then_102_then_103(info: ProcessorInfo, expected: str | None) -> None:
    v = judge_processor(info, serial_processing=False)
    assert (v.code if v else None) == expected
    assert judge_processor(info, serial_processing=True) is None
    assert judge_processor(info, serial_processing=None) is None


def test_fmp103_text() -> None:
    v = judge_processor(ProcessorInfo("save", unpicklable=CAPTURED), False)
    assert v is not None
    assert v.lint_text == (
        "FMP103 result processor 'save' captures save.__closure__['lock'] (_thread.lock), which "
        "cannot be pickled, so the result process would not get it; fix: create 'lock' inside "
        "the result processor instead, or pass serial_processing=True to process results in "
        "this process"
    )


def test_fmp103_text_for_a_whole_instance() -> None:
    whole = Captured("write.__self__", "_io.TextIOWrapper", "TextIOWrapper", whole=True)
    v = judge_processor(ProcessorInfo("write", unpicklable=whole), False)
    assert v is not None
    assert v.hint == (
        "create the TextIOWrapper object inside the result processor instead, or pass "
        "serial_processing=True to process results in this process"
    )


@pytest.mark.parametrize(
    ("enclosing", "message"),
    [
        ("'main()'", "result processor 'save' is defined inside 'main()'; a nested function "
                     "cannot be pickled for parallel result processing"),
        (rules.MAIN_BLOCK, "result processor 'save' is defined inside the 'if __name__ == "
                           "\"__main__\":' block; a child process started with spawn or "
                           "forkserver never runs that block, so it cannot find 'save'"),
    ],
    ids=["nested", "main-block"],
)
def test_fmp102_says_why_for_where_it_is(enclosing: str, message: str) -> None:
    v = judge_processor(ProcessorInfo("save", enclosing=enclosing), False)
    assert v is not None
    assert v.lint_text == (
        f"FMP102 {message}; fix: move 'save' to module level, or pass serial_processing=True"
    )


def test_an_unknown_reason_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        rules.RULES["FMP102"].format(name="'save'", where="'main()'", reason="elsewhere")


@pytest.mark.parametrize(
    ("name", "unpicklable"),
    [
        ("sqlite3.connect", True),
        ("threading.Lock", True),
        ("mylib.open_connection", True),
        ("db.Connect", True),
        ("mylib.make_settings", False),
        ("json.loads", False),
    ],
)
def test_factory_table_and_name_rule(name: str, unpicklable: bool) -> None:
    assert rules.is_unpicklable_factory(name) is unpicklable


def test_extra_factories_count() -> None:
    assert rules.is_unpicklable_factory("mylib.session", frozenset({"mylib.session"}))


def test_the_table_holds_what_the_guidelines_name() -> None:
    required = {
        "open", "io.open", "socket.socket", "socket.create_connection", "sqlite3.connect",
        "threading.Lock", "threading.RLock", "threading.Condition", "threading.Semaphore",
        "threading.Event", "threading.Thread", "queue.Queue", "subprocess.Popen",
        "tempfile.TemporaryFile", "concurrent.futures.ThreadPoolExecutor", "logging.FileHandler",
        "psycopg2.connect", "psycopg.connect", "pymysql.connect", "redis.Redis",
        "pymongo.MongoClient", "sqlalchemy.create_engine", "boto3.client", "boto3.resource",
        "aiohttp.ClientSession",
    }
    assert required <= rules.UNPICKLABLE_FACTORIES
    assert "builtins.generator" in rules.UNPICKLABLE_TYPES


def test_unknown_code_names_the_known_ones() -> None:
    with pytest.raises(KeyError,
                       match="no rule 'FMP999'; known: FMP001, FMP101, FMP102, FMP103, FMP104"):
        rules.get_rule("FMP999")

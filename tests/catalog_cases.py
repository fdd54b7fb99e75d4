"""The catalog's examples as test cases, shared by the tests that check every front end."""

from __future__ import annotations

from dataclasses import dataclass

from flowmanager.rules import RULES, Example


@dataclass(frozen=True)
class Case:
    id: str
    rule: str
    kind: str  # "bad" or "good"
    example: Example


def all_cases() -> list[Case]:
    cases = []
    for code, rule in RULES.items():
        for kind, examples in (("bad", rule.bad), ("good", rule.good)):
            for i, ex in enumerate(examples):
                cases.append(Case(f"{code}-{kind}{i}", code, kind, ex))
    return cases


CASES = all_cases()

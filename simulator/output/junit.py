"""junit.xml for CI systems: one testcase per rule × entity, failures carry the sample keys."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class Case:
    suite: str  # the entity, e.g. alma.users
    name: str  # the rule id, or the check's name
    failures: list[tuple[str, int, list[str]]] = field(default_factory=list)  # class, n, keys


def junit_xml(cases: Iterable[Case], name: str = "cutover verify") -> bytes:
    suites: dict[str, list[Case]] = {}
    for case in cases:
        suites.setdefault(case.suite, []).append(case)
    total = sum(len(c) for c in suites.values())
    failed = sum(1 for cs in suites.values() for c in cs if c.failures)
    root = ET.Element("testsuites", name=name, tests=str(total), failures=str(failed),
                      errors="0", time="0")
    for suite_name in sorted(suites):
        cases_ = sorted(suites[suite_name], key=lambda c: c.name)
        suite = ET.SubElement(root, "testsuite", name=suite_name, tests=str(len(cases_)),
                              failures=str(sum(1 for c in cases_ if c.failures)), errors="0",
                              skipped="0", time="0")
        for case in cases_:
            tc = ET.SubElement(suite, "testcase", name=case.name, classname=suite_name, time="0")
            if case.failures:
                summary = ", ".join(f"{n} {klass.replace('_', ' ')}"
                                    for klass, n, _ in case.failures)
                failure = ET.SubElement(tc, "failure", message=summary, type="discrepancy")
                failure.text = "\n".join(
                    f"{klass}: {', '.join(keys)}{' …' if n > len(keys) else ''}"
                    for klass, n, keys in case.failures)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"

"""JUnit XML for CI systems: one testsuite per test file, one testcase per case, a failure per failed case."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

from voicecli.persona_tests.report import display_path, failure_views
from voicecli.persona_tests.runner import CaseResult


def junit_xml(cases: list[CaseResult]) -> str:
    root = ET.Element("testsuites", name="voicecli test")
    by_file: dict[Path, list[CaseResult]] = {}
    for case in cases:
        by_file.setdefault(case.case.file, []).append(case)
    for file, file_cases in by_file.items():
        suite = ET.SubElement(root, "testsuite", name=display_path(file), tests=str(len(file_cases)),
                              failures=str(sum(not case.passed_case for case in file_cases)), errors="0",
                              skipped="0", time=_seconds(file_cases))
        for case in file_cases:
            _testcase(suite, case)
    root.set("tests", str(len(cases)))
    root.set("failures", str(sum(not case.passed_case for case in cases)))
    root.set("time", _seconds(cases))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def write_junit(cases: list[CaseResult], path: Path) -> None:
    from voicecli.paths import storage_errors

    with storage_errors(path, "the --junit report", hint="pick a folder you can write to"):
        path.write_text(junit_xml(cases), encoding="utf-8")


def _testcase(suite: ET.Element, case: CaseResult) -> None:
    stem = case.case.file.name.split(".")[0]
    element = ET.SubElement(suite, "testcase", classname=stem, name=case.case.name,
                            file=display_path(case.case.file), line=str(case.case.line), time=_seconds([case]))
    summary = f"{case.passed_runs} of {len(case.runs)} runs passed (needs {case.needed})"
    if not case.passed_case:
        views = failure_views(case)
        first = views[0].text if views else summary
        failure = ET.SubElement(element, "failure", message=first, type="expectation")
        details = [summary]
        for view in views:
            details.append(f"run {view.run}: {view.text}")
            details += [f"  {'>' if at else ' '} {line.role:<5} {line.text}" for at, line in view.context]
        failure.text = "\n".join(details)
    ET.SubElement(element, "system-out").text = summary


def _seconds(cases: Iterable[CaseResult]) -> str:
    total = sum(run.record.duration_s or 0.0 for case in cases for run in case.runs)
    return f"{total:.3f}"

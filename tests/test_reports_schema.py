"""The JSON report's schema (draft 2020-12) holds for real reports and rejects broken ones."""

import copy
import json
from pathlib import Path

import jsonschema
import pytest

from pytest_iosmem.reports import json_report

SCHEMA_PATH = Path(json_report.__file__).parents[1] / "schemas" / "report-v1.json"
SCHEMA = json.loads(SCHEMA_PATH.read_text())
DATA = Path(__file__).parent / "data" / "reports"
#: reports written by this plugin on real runs (see tests/data/PROVENANCE.md)
RECORDED = sorted(DATA.glob("*.json"))


def validate(doc):
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)


def test_the_schema_is_valid_draft_2020_12():
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("path", RECORDED, ids=lambda p: p.name)
def test_recorded_reports_match_the_schema(path):
    doc = json.loads(path.read_text())
    validate(doc)
    assert doc["schema_version"] == json_report.SCHEMA_VERSION


def test_the_recordings_cover_passing_failing_and_interrupted_runs():
    docs = [json.loads(p.read_text()) for p in RECORDED]
    outcomes = {t["outcome"] for d in docs for t in d["tests"]}
    assert {"passed", "failed", "interrupted"} <= outcomes
    assert any(d["interrupted"] for d in docs) and any(not d["interrupted"] for d in docs)


def _first_failing(doc):
    return next(t for t in doc["tests"] if t["findings"])


@pytest.mark.parametrize(
    "breakage",
    [
        lambda d: _first_failing(d)["findings"][0].update(kind="bloat"),
        lambda d: d.update(schema_version=2),
        lambda d: d["tests"][0].pop("timeline"),
        lambda d: d["tests"][0]["metrics"].update(peak="9.8 MB"),
        lambda d: d["tests"][0]["timeline"]["samples"].append([1.0]),
        lambda d: d["tests"][0].update(outcome="maybe"),
        lambda d: d["summary"].update(failed=-1),
    ],
    ids=["unknown finding kind", "other version", "no timeline", "peak as text", "half a sample", "outcome",
         "negative count"],
)
def test_broken_reports_are_rejected(breakage):
    doc = copy.deepcopy(json.loads((DATA / "local_pass_and_fail.json").read_text()))
    breakage(doc)
    with pytest.raises(jsonschema.ValidationError):
        validate(doc)


def test_an_object_leak_report_matches_and_a_broken_one_does_not():
    doc = json.loads((DATA / "local_objects.json").read_text())
    leaky = next(t for t in doc["tests"] if t["findings"])
    assert leaky["findings"][0]["kind"] == "objects"
    assert leaky["objects"]["leaks"][0]["name"] == "PhotoDetailViewController"
    validate(doc)
    leaky["objects"]["leaks"][0]["counts"] = "2,3,4"
    with pytest.raises(jsonschema.ValidationError):
        validate(doc)


def test_new_fields_within_a_version_are_allowed():
    """The versioning rule: fields may be added within a version, so readers and the schema ignore them."""
    doc = json.loads((DATA / "local_pass_and_fail.json").read_text())
    doc["future_field"] = {"x": 1}
    doc["tests"][0]["metrics"]["future_metric"] = 3
    validate(doc)


def test_a_built_document_matches_the_schema():
    results = json.loads((DATA / "local_interrupted.json").read_text())["tests"]
    validate(json_report.build_document(results, interrupted=True))
    validate(json_report.build_document([], interrupted=False))


def test_the_schema_ships_with_the_package():
    try:
        import tomllib
    except ImportError:  # Python 3.10: the test extra installs tomli
        import tomli as tomllib

    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    package_data = pyproject["tool"]["setuptools"]["package-data"]["pytest_iosmem"]
    assert "schemas/*.json" in package_data

"""``iosmem report``: a saved run rendered again; exit 1 when it holds failed gates."""

import json

import pytest

from pytest_iosmem.cli import main

from .cli_helpers import DATA, iosmem

FAILING = DATA / "reports" / "local_pass_and_fail.json"


def passing_copy(tmp_path):
    """The same report with only its passing gates: a green run."""
    doc = json.loads(FAILING.read_text())
    doc["tests"] = [t for t in doc["tests"] if not t["findings"]]
    doc["summary"] = {"tests": len(doc["tests"]), "failed": 0}
    assert doc["tests"]
    path = tmp_path / "green.json"
    path.write_text(json.dumps(doc))
    return path


def test_renders_html_and_markdown_and_exits_1_on_failed_gates(tmp_path):
    pytest.importorskip("pygal")
    out = iosmem("report", str(FAILING), "--html", str(tmp_path / "r.html"), "--markdown", str(tmp_path / "r.md"))
    assert out.returncode == 1, out.stderr
    assert f"wrote {tmp_path / 'r.html'}" in out.stdout
    page = (tmp_path / "r.html").read_text()
    assert page.startswith("<!DOCTYPE html>") or page.lstrip().lower().startswith("<!doctype html>")
    assert "<svg" in page
    assert "## iOS memory gates" in (tmp_path / "r.md").read_text()


def test_a_green_report_exits_0(tmp_path):
    out = iosmem("report", str(passing_copy(tmp_path)), "--markdown", str(tmp_path / "r.md"))
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "r.md").exists()


def test_markdown_to_stdout_for_the_job_summary(capsys):
    assert main(["report", str(FAILING), "--markdown", "-"]) == 1
    assert capsys.readouterr().out.startswith("## iOS memory gates")


@pytest.mark.parametrize("content, message", [
    (None, "no such report file"),
    ("not json", "not a JSON report"),
    ('{"schema": "something-else"}', "not a pytest-iosmem report"),
    ('{"schema": "pytest-iosmem-report", "schema_version": 7}', "report schema version 7"),
])
def test_a_missing_or_bad_report_is_exit_2_naming_it(tmp_path, content, message):
    path = tmp_path / "r.json"
    if content is not None:
        path.write_text(content)
    out = iosmem("report", str(path), "--markdown", str(tmp_path / "r.md"))
    assert out.returncode == 2
    assert f"{path}: {message}" in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "r.md").exists()


def test_nothing_to_render_is_a_usage_error(capsys):
    assert main(["report", str(FAILING)]) == 2
    assert "say what to render: --html OUT and/or --markdown OUT" in capsys.readouterr().err


def test_an_unwritable_output_is_exit_2(tmp_path, capsys):
    (tmp_path / "file").write_text("")  # a path under a file cannot be created
    assert main(["report", str(FAILING), "--markdown", str(tmp_path / "file" / "x.md")]) == 2
    assert "--markdown" in capsys.readouterr().err


def test_without_pygal_the_html_report_says_what_to_install(monkeypatch, tmp_path, capsys):
    import builtins
    import sys

    for name in [m for m in sys.modules if m.startswith("pytest_iosmem.reports.html") or m.startswith("pygal")
                 or m == "pytest_iosmem.reports.charts"]:
        monkeypatch.delitem(sys.modules, name)
    real_import = builtins.__import__

    def no_pygal(name, *args, **kwargs):
        if name == "pygal" or name.startswith("pygal."):
            raise ImportError("No module named 'pygal'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pygal)
    assert main(["report", str(FAILING), "--html", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err
    assert "--html: cannot render it here (No module named 'pygal'); pip install -e 'path/to/pytest-iosmem[html]' from a checkout" in err
    assert not (tmp_path / "r.html").exists()

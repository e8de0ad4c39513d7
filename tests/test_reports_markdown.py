"""The Markdown summary on real reports: order, numbers, escaping, GitHub's job summary."""

import json
import re
from pathlib import Path

import pytest

from pytest_iosmem.reports import markdown

DATA = Path(__file__).parent / "data" / "reports"


def load(name):
    return json.loads((DATA / name).read_text())


def test_failures_come_first_with_their_messages_in_code_blocks():
    md = markdown.render(load("local_pass_and_fail.json"))
    assert md.startswith("## iOS memory gates\n\n**2 gated, 1 failed**\n")
    failure = md.index("### ❌ `test_screens.py::test_detail_screen_leaks`")
    block = md.index("```\nleak: +512 KB per iteration over 6 iterations (trend p=0.00139), limit 100 KB\n```")
    assert failure < block < md.index("| test | peak |")
    assert "test_cache_screen_gives_memory_back`" not in md[: md.index("| test | peak |")]  # passes get no section


def test_table_has_peak_change_against_baseline_leak_with_p_reclaim_and_verdict():
    md = markdown.render(load("local_pass_and_fail.json"))
    rows = {line.split(" | ")[0]: line.split(" | ") for line in md.splitlines() if line.startswith("| `")}
    leak = rows["| `test_screens.py::test_detail_screen_leaks`"]
    assert leak[1:] == ["9.8 MB", "-", "9.8 MB", "-", "+512 KB (p=0.0014)", "-", "❌ FAIL leak |"]
    cache = rows["| `test_screens.py::test_cache_screen_gives_memory_back`"]
    # this test has a baseline: signed change in bytes and percent, for peak and end
    assert re.fullmatch(r"[+-][\d.]+ (B|KB|MB) \([+-]\d+\.\d%\)", cache[2]) and re.fullmatch(r"[+-].* \(.*%\)", cache[4])
    assert cache[6] == "3.0 MB" and cache[7] == "pass |"
    # failing rows first in the table too
    order = [line for line in md.splitlines() if line.startswith("| `")]
    assert "test_detail_screen_leaks" in order[0]


def test_notes_and_profile():
    md = markdown.render(load("local_pass_and_fail.json"))
    assert "<details><summary>Notes</summary>" in md and "attribution unavailable" in md
    assert "Profile: `local-linux-x86_64` (Linux x86\\_64)" in md


def test_top_grown_classes_of_a_failure_largest_first_at_most_five():
    doc = load("examples_failures.json")
    md = markdown.render(doc)
    assert "| `TimerDetailViewController.buffer` | +1.0 | +524 KB | 3 → 8 |" in md
    leaky = next(t for t in doc["tests"] if t["attribution"])
    leaky["attribution"] = [dict(leaky["attribution"][0], name=f"Class{i}", bytes_per_iteration=i * 1000)
                            for i in range(8)]
    md = markdown.render(doc)
    listed = re.findall(r"\| `(Class\d)` \|", md)
    assert listed == ["Class7", "Class6", "Class5", "Class4", "Class3"]
    assert "3 more classes grew" in md


def test_interrupted_run_says_so_and_keeps_what_was_measured():
    md = markdown.render(load("local_interrupted.json"))
    assert "**3 gated, 1 failed**, 1 interrupted — run interrupted, partial results" in md
    row = next(line for line in md.splitlines() if "test_long_scenario_interrupted" in line and line.startswith("|"))
    assert "8.8 MB" in row and row.endswith("| interrupted |")


def test_empty_run():
    md = markdown.render({"tests": [], "interrupted": False})
    assert "**0 gated, 0 failed**" in md and "No gated test ran." in md


@pytest.mark.parametrize(
    "name, expected",
    [
        ("test_x[a|b]", "`test_x[a\\|b]`"),
        ("test_x[`code`]", "``test_x[`code`]``"),
        ("test_x[``]", "```test_x[``]```"),
        ("`lead", "`` `lead ``"),
    ],
)
def test_code_spans_survive_backticks_and_pipes(name, expected):
    assert markdown.code_span(name) == expected


def test_text_cannot_open_tags_links_or_cells():
    assert markdown.text("<script>x</script> [a](b) *c* |") == "\\<script\\>x\\</script\\> \\[a\\](b) \\*c\\* \\|"
    assert markdown.text("two\nlines") == "two lines"


def test_messages_with_fences_stay_inside_their_block():
    doc = load("local_pass_and_fail.json")
    doc["tests"][0]["findings"][0]["message"] = "leak\n```\n# not a heading\n````"
    md = markdown.render(doc)
    assert "`````\nleak\n```\n# not a heading\n````\n`````" in md


def test_hostile_test_name_is_escaped_everywhere():
    doc = load("local_pass_and_fail.json")
    name = "test_x[<script>alert(1)</script>|`x`]"
    doc["tests"][0]["nodeid"] = name
    doc["tests"][0]["notes"] = ["<img src=x onerror=alert(1)> | note"]
    md = markdown.render(doc)
    assert "### ❌ ``test_x[<script>alert(1)</script>|`x`]``" in md  # heading: the span as is
    assert "| ``test_x[<script>alert(1)</script>\\|`x`]`` |" in md  # table: pipe escaped
    assert "\\<img src=x onerror=alert(1)\\> \\| note" in md
    for line in md.splitlines():
        if line.startswith("| ``test_x"):
            assert len(re.split(r"(?<!\\)\|", line)) == 10  # 8 cells: the name did not add a column


def test_write_is_atomic_and_append_keeps_earlier_steps(tmp_path):
    doc = load("local_pass_and_fail.json")
    out = tmp_path / "summary.md"
    markdown.write(doc, out)
    assert out.read_text() == markdown.render(doc)
    assert [p.name for p in tmp_path.iterdir()] == ["summary.md"]  # no temporary file left behind
    step = tmp_path / "step_summary.md"
    step.write_text("earlier step\n")
    markdown.write(doc, step, append=True)
    assert step.read_text() == "earlier step\n\n" + markdown.render(doc)

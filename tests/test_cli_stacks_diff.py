"""``iosmem stacks-diff``: malloc_history outputs (recorded), saved generations, the refapp's JSON."""

import json

import pytest

from pytest_iosmem.cli import main
from pytest_iosmem.attribution.stacks import Frame, Generation, StackStat

from .cli_helpers import DATA, iosmem

ALL_BY_SIZE = DATA / "malloc_history_all_by_size_git-mailinglist-2007.txt"
CALL_TREE = DATA / "malloc_history_callTree_chama-optics-issue5-xcode26.txt"


def grown_copy(tmp_path, source, old, new, name="after.txt"):
    text = source.read_text()
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new))
    return path


def test_two_all_by_size_outputs_exit_1_naming_the_grown_stack(tmp_path):
    after = grown_copy(tmp_path, ALL_BY_SIZE, "1 calls for 52000 bytes", "5 calls for 260000 bytes")
    out = iosmem("stacks-diff", str(ALL_BY_SIZE), str(after), "--iterations", "4")
    assert out.returncode == 1, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "+52.0 KB/iter, +1.0 blocks/iter (1 -> 5 blocks)"
    assert lines[1:5] == ["  at new_tree_entry", "  <- load_tree", "  <- cmd_new_commit", "  <- main"]
    assert "note: Deallocation of 5020b0 - no corresponding allocation" in lines


def test_nothing_grew_exits_0(capsys):
    assert main(["stacks-diff", str(ALL_BY_SIZE), str(ALL_BY_SIZE)]) == 0
    assert capsys.readouterr().out.startswith("no allocation stack grew by 4KiB or more per iteration")


def test_call_trees_with_app_patterns_and_json(tmp_path, capsys):
    # the Rust thread entry grew by 200 MB in the tool's rounded units
    after = grown_copy(tmp_path, CALL_TREE, "18063 (2263M) std::", "20063 (2463M) std::")
    assert main(["stacks-diff", str(CALL_TREE), str(after), "--iterations", "2", "--json"]) == 1
    captured = capsys.readouterr()
    (row,) = json.loads(captured.out)  # stdout is JSON and nothing else
    assert "note: bytes from -callTree are the tool's rounded sizes" in captured.err
    assert row["app_frames"] == [] and row["bytes_per_iteration"] == 100 * 1024**2
    assert main(["stacks-diff", str(CALL_TREE), str(after), "--iterations", "2", "--app", "lib:chama-optics"]) == 1
    out = capsys.readouterr().out
    assert "at std::sys::thread::unix::Thread::new::thread_start::h98270432b6aefc44 (in chama-optics)" in out
    assert "note: bytes from -callTree are the tool's rounded sizes" in out
    assert "note: Stack logging was dynamically enabled" in out


def _snapshot(tmp_path, name, count, envelope=False):
    site = (Frame("handle", file="/usr/lib/python3.11/socketserver.py", line=1),
            Frame("App.open", file="/x/pytest_iosmem/refapp/model.py", line=330),
            Frame("Annotation.__init__", file="/x/pytest_iosmem/refapp/model.py", line=212),
            Frame("Buffer.__init__", file="/x/pytest_iosmem/refapp/memory.py", line=108))
    gen = Generation((StackStat(site, count, count * 32768),), "refapp tracemalloc", 1000,
                     allocator_patterns=("file:*/pytest_iosmem/refapp/memory.py",))
    doc = {"value": gen.to_dict(), "sessionId": None} if envelope else gen.to_dict()
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def test_saved_generations_and_the_refapps_envelope(tmp_path, capsys):
    first = _snapshot(tmp_path, "first.json", 16)
    last = _snapshot(tmp_path, "last.json", 96, envelope=True)
    assert main(["stacks-diff", str(first), str(last), "--iterations", "5", "--frames", "1"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "+524 KB/iter, +16.0 blocks/iter (16 -> 96 blocks)"
    # the allocator wrapper the snapshot declares is folded: the site is the app's caller of it
    assert out[1] == "  at Annotation.__init__ (refapp/model.py:212)"
    assert out[2] == "     [1 more app frames, 2 system frames folded]"


@pytest.mark.parametrize(
    "args, message",
    [
        (["BEFORE", "BEFORE", "--iterations", "0"], "--iterations 0: must be at least 1"),
        (["BEFORE", "BEFORE", "--floor", "lots"], "--floor 'lots'"),
        (["heap", "BEFORE"], "neither malloc_history -allBySize/-callTree output nor a stacks snapshot"),
        (["addr", "BEFORE"], "an address history lists one block's events"),
        (["badjson", "BEFORE"], "not an allocation-stack snapshot"),
        (["missing", "BEFORE"], "no such file"),
    ],
)
def test_bad_input_exits_2_naming_it(tmp_path, capsys, args, message):
    (tmp_path / "bad.json").write_text('{"classes": []}')
    names = {"BEFORE": str(ALL_BY_SIZE), "heap": str(DATA / "heap_ios_sim_17_2.txt"),
             "addr": str(DATA / "malloc_history_address_gipi-blog-2010.txt"), "badjson": str(tmp_path / "bad.json"),
             "missing": str(tmp_path / "nope.txt")}
    assert main(["stacks-diff", *[names.get(a, a) for a in args]]) == 2
    assert message in capsys.readouterr().err

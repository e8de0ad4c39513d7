"""The pure generation diff: which allocation stacks grew, and how a person reads them."""

import pytest

from pytest_iosmem.attribution.stacks import Frame, Generation, StackRules, StackStat, format_grown_stacks, generation_from_dict, grown_stacks, stack_lines

KB = 1024

UIKIT = tuple(Frame(f"-[UIView layer{i}]", "UIKitCore") for i in range(20))
ENTRY = (Frame("start", "dyld"), Frame("main", "MyApp"), Frame("UIApplicationMain", "UIKitCore"))
MALLOC = (Frame("_malloc_zone_malloc", "libsystem_malloc.dylib"),)


def stack(*names: str, lib: str = "MyApp") -> tuple[Frame, ...]:
    return ENTRY + tuple(Frame(n, lib) for n in names) + MALLOC


def gen(*rows: tuple[tuple[Frame, ...], int, int]) -> Generation:
    return Generation(tuple(StackStat(f, c, b) for f, c, b in rows))


def test_the_app_frame_among_forty_system_frames_is_what_shows():
    frames = ENTRY + UIKIT + (Frame("DetailViewController.loadImage()", "MyApp"),) + UIKIT + MALLOC
    before = gen((frames, 2, 1024 * KB))
    after = gen((frames, 8, 4096 * KB))
    (row,) = grown_stacks(before, after, iterations=6)
    assert row.bytes_per_iteration == 512 * KB and row.count_per_iteration == 1
    assert row.site == "DetailViewController.loadImage() (in MyApp)"
    # "main" is the app's binary too: app frames, innermost first; 42 system frames folded
    assert [f.function for f in row.app_frames] == ["DetailViewController.loadImage()", "main"]
    assert row.system_frames == len(frames) - 2
    lines = stack_lines(row)
    assert lines[0] == "DetailViewController.loadImage() (in MyApp)"
    assert lines[-1] == f"[{len(frames) - 2} system frames folded]"
    assert not any("UIKitCore" in line for line in lines)


def test_same_site_reached_from_two_callers_is_two_stacks_and_only_the_growing_one_is_listed():
    via_detail = stack("viewDidLoad", "loadImage")
    via_list = stack("cellForRow", "loadImage")
    before = gen((via_detail, 1, 100 * KB), (via_list, 5, 500 * KB))
    after = gen((via_detail, 5, 500 * KB), (via_list, 5, 500 * KB))
    (row,) = grown_stacks(before, after, iterations=4)
    assert [f.function for f in row.app_frames[:2]] == ["loadImage", "viewDidLoad"]
    # both grow: two rows with the same site, told apart by their callers
    after2 = gen((via_detail, 5, 500 * KB), (via_list, 9, 700 * KB))
    rows = grown_stacks(before, after2, iterations=4)
    assert [r.app_frames[1].function for r in rows] == ["viewDidLoad", "cellForRow"]
    assert {r.site for r in rows} == {"loadImage (in MyApp)"}


def test_a_stack_that_shrank_or_vanished_is_not_listed_and_a_new_one_is():
    shrank, gone, new = stack("a"), stack("b"), stack("c")
    before = gen((shrank, 10, 800 * KB), (gone, 4, 64 * KB))
    after = gen((shrank, 2, 100 * KB), (new, 3, 96 * KB))
    (row,) = grown_stacks(before, after, iterations=3)
    assert row.app_frames[0].function == "c" and (row.count_before, row.bytes_before) == (0, 0)
    assert row.bytes_per_iteration == 32 * KB


def test_more_blocks_but_fewer_bytes_is_not_growth():
    s = stack("a")
    assert grown_stacks(gen((s, 1, 64 * KB)), gen((s, 50, 60 * KB)), iterations=2) == []


def test_ties_are_broken_by_blocks_then_by_frames_so_the_order_is_stable():
    a, b, c = stack("zeta"), stack("alpha"), stack("mid")
    before = gen()
    after = gen((a, 4, 64 * KB), (b, 4, 64 * KB), (c, 8, 64 * KB))
    rows = grown_stacks(before, after, iterations=2)
    assert [r.app_frames[0].function for r in rows] == ["mid", "alpha", "zeta"]
    rows_again = grown_stacks(before, gen((c, 8, 64 * KB), (b, 4, 64 * KB), (a, 4, 64 * KB)), iterations=2)
    assert [r.frames for r in rows_again] == [r.frames for r in rows]


def test_a_stack_listed_twice_is_summed():
    s = stack("a")
    (row,) = grown_stacks(gen(), gen((s, 1, 8 * KB), (s, 1, 8 * KB)), iterations=2)
    assert (row.count_after, row.bytes_after) == (2, 16 * KB)


def test_only_system_frames_says_so_and_shows_the_innermost_frames():
    frames = (Frame("thread_start", "libsystem_pthread.dylib"),) + UIKIT + MALLOC
    (row,) = grown_stacks(gen(), gen((frames, 10, 1024 * KB)), iterations=2)
    assert row.app_frames == () and row.site == "_malloc_zone_malloc (in libsystem_malloc.dylib)"
    lines = stack_lines(row, frames=3)
    assert lines[0] == "(no frame of the app)"
    assert lines[1:4] == ["_malloc_zone_malloc (in libsystem_malloc.dylib)", "-[UIView layer19] (in UIKitCore)",
                          "-[UIView layer18] (in UIKitCore)"]
    assert lines[4] == f"[{len(frames) - 3} more system frames]"


def test_noise_floor_and_top():
    small, big = stack("small"), stack("big")
    after = gen((small, 100, 4 * 1000), (big, 1, 40 * KB))
    rows = grown_stacks(gen(), after, iterations=1)  # 4000 B < 4096 B floor
    assert [r.app_frames[0].function for r in rows] == ["big"]
    assert len(grown_stacks(gen(), after, iterations=1, floor=0)) == 2
    assert len(grown_stacks(gen(), after, iterations=1, floor=0, top=1)) == 1
    with pytest.raises(ValueError):
        grown_stacks(gen(), after, iterations=0)


def test_rules_by_pattern_app_wins_over_system():
    f_stdlib = Frame("handle", file="/usr/lib/python3.11/socketserver.py", line=10)
    f_app = Frame("open", file="/src/pytest_iosmem/refapp/model.py", line=3)
    f_alloc = Frame("__init__", file="/src/pytest_iosmem/refapp/memory.py", line=9)
    rules = StackRules().with_patterns(system=["file:*/refapp/memory.py"])
    assert [rules.is_app(f) for f in (f_stdlib, f_app, f_alloc)] == [False, True, False]
    # an app pattern wins over a system one: a team's own "UIKit-like" prefix
    ui = Frame("UIMyButton.tap", "MyApp")
    assert not StackRules().is_app(ui)
    assert StackRules(app=("fn:UIMy*",)).is_app(ui)
    # a pattern without a prefix matches function, library or file
    assert not StackRules(system=("MyKit",)).is_app(Frame("x", "MyKit"))
    assert f_app.describe() == "open (refapp/model.py:3)"


def test_compact_text_for_failure_messages():
    rows = grown_stacks(gen(), gen(*[(stack(f"site{i}", "helper"), 1, (10 - i) * 100 * KB) for i in range(5)]),
                        iterations=1)
    text = format_grown_stacks(rows, stacks=3, frames=2, indent="  ")
    lines = text.splitlines()
    assert lines[0] == "  +1.0 MB/iter, +1.0 blocks/iter (0 -> 1 blocks)"
    assert lines[1] == "    at helper (in MyApp)"
    assert lines[2] == "    <- site0 (in MyApp)"
    assert lines[3] == "       [1 more app frames, 3 system frames folded]"
    assert sum(1 for line in lines if "/iter" in line) == 3
    assert lines[-1] == "  (2 more grown stacks in the report)"


def test_json_round_trip_and_bad_snapshots_named():
    g = gen((stack("a"), 2, 3 * KB))
    again = generation_from_dict(g.to_dict())
    assert again.stacks == g.stacks
    with pytest.raises(ValueError, match="before.json: not an allocation-stack snapshot"):
        generation_from_dict({"classes": []}, "before.json")
    with pytest.raises(ValueError, match=r"stacks\[0\] is malformed"):
        generation_from_dict({"stacks": [{"count": 1}]})

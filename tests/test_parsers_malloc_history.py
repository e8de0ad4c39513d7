"""``malloc_history`` output parsed from real recordings, 2007 to Xcode 26.2 (tests/data/PROVENANCE.md)."""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_iosmem.errors import ParseError
from pytest_iosmem.parsers.malloc_history import parse_malloc_history
from pytest_iosmem.attribution.stacks import Frame, StackRules, grown_stacks

DATA = Path(__file__).parent / "data"
SAMPLES = sorted(p.name for p in DATA.glob("malloc_history_*.txt"))


def read(name: str) -> str:
    return (DATA / name).read_text()


def test_every_recorded_sample_is_covered_here():
    assert SAMPLES == sorted([
        "malloc_history_address_gipi-blog-2010.txt",
        "malloc_history_address_paulsturgess-rubymotion-2013.txt",
        "malloc_history_allBySize_craftware-tip-safari-2018.txt",
        "malloc_history_all_by_size_git-mailinglist-2007.txt",
        "malloc_history_callTree-showContent_craftware-tip-safari-2018.txt",
        "malloc_history_callTree_chama-optics-issue5-xcode26.txt",
    ])


def test_all_by_size_2007_wrapped_by_a_mail_client():
    r = parse_malloc_history(read("malloc_history_all_by_size_git-mailinglist-2007.txt"))
    assert r.kind == "allBySize" and len(r.stacks) == 18 and not r.truncated  # every record of the excerpt
    first = r.stacks[0]
    assert (first.count, first.bytes) == (67, 2874)
    assert [f.function for f in first.frames] == [
        "thread_a000ed88", "0x0", "start", "_start", "main", "cmd_new_commit", "read_next_command", "read_line",
        "strbuf_grow"]
    # a C++ symbol split over two lines by the mail client is joined back with a space
    dyld = r.stacks[3]
    assert (dyld.count, dyld.bytes) == (4, 160)
    assert "ImageLoader::runNotification(ImageLoader::LinkContext const&, unsigned)" in [f.function for f in dyld.frames]
    assert dyld.frames[-1].function == "dwarf2_unwind_dyld_add_image_hook"
    assert (r.stacks[-1].count, r.stacks[-1].bytes, r.stacks[-1].frames[-1].function) == (1, 4096, "size_dbuf")
    assert r.notes == ("Deallocation of 5020b0 - no corresponding allocation",)


def test_all_by_size_2018_cut_by_its_author():
    r = parse_malloc_history(read("malloc_history_allBySize_craftware-tip-safari-2018.txt"))
    assert r.kind == "allBySize" and r.truncated  # "[..]"
    assert (r.header.process, r.header.pid, r.header.os_version) == ("Safari", 4828, "Mac OS X 10.12.6 (16G1114)")
    (s,) = r.stacks
    assert (s.count, s.bytes) == (2, 1003520)
    assert s.frames[0].function == "thread_700005856000"
    assert s.frames[-1].function == "-[NSConcreteMutableData initWithLength:]"
    assert "-[KeychainEncryptionProvider decryptData:]" in [f.function for f in s.frames]
    assert "cut" in " ".join(r.generation().notes)


def test_call_tree_with_show_content_2018():
    r = parse_malloc_history(read("malloc_history_callTree-showContent_craftware-tip-safari-2018.txt"))
    assert r.kind == "callTree" and r.truncated and r.skipped == 0
    root = r.tree
    assert root.frame.function == "<< TOTAL >>" and root.count == 76221 and root.bytes == int(13.0 * 1024**2)
    thread = root.children[0]
    start = thread.children[0]
    assert start.frame == Frame("start", "libdyld.dylib") and start.count == 56356
    app_main = start.children[0]
    assert app_main.frame == Frame("NSApplicationMain", "AppKit")
    browser = app_main.children[0].children[0]
    assert browser.frame.function == "-[BrowserApplication nextEventMatchingMask:untilDate:inMode:dequeue:]"
    assert browser.frame.library == "Safari"
    # a node's own blocks: its count minus its children's
    assert start.self_count() == 56356 - 45992
    stacks = {s.frames[-1].function: s for s in r.stacks}
    assert stacks["start"].count == 56356 - 45992
    assert stacks["_DPSNextEvent"].frames[0].function == "Thread_ec1f13c1"
    assert r.generation().source == "malloc_history -callTree"
    assert any("rounded" in n for n in r.generation().notes)


def test_call_tree_xcode26_with_what_newer_xcodes_add():
    r = parse_malloc_history(read("malloc_history_callTree_chama-optics-issue5-xcode26.txt"))
    assert r.kind == "callTree"
    assert r.header.analysis_tool_version == "Xcode 26.2 (17C52)"
    assert r.header.footprint == 1024**3 and r.header.footprint_peak == int(1.5 * 1024**3)
    assert any(n.startswith("Stack logging was dynamically enabled") for n in r.notes)
    assert any(n.startswith("Stack logging was enabled for 14.0 seconds") for n in r.notes)
    assert r.no_stack_blocks == (541, 34 * 1024)
    assert r.no_stack_regions == (43, int(22.6 * 1024**2))
    assert r.tree.count == 52174 and r.tree.bytes == 2359 * 1024**2
    rust = r.tree.children[0].children[0].children[0]
    assert rust.frame.library == "chama-optics" and rust.count == 18063
    # the excerpt's deepest node is Rust's std thread entry: folded as system (fn:std::*), so this
    # stack has no frame of the app and says so, naming its innermost frames instead
    top = max(r.stacks, key=lambda s: s.bytes)
    rules = StackRules()
    assert [rules.is_app(f) for f in top.frames] == [False, False, False]
    assert rules.with_patterns(app=["lib:chama-optics"]).is_app(top.frames[-1])


# The shape of a recorded `malloc_history -callTree -showContent a.out` (a 2022 blog post, stored in the
# public code index; its repository was not resolved, so the shape is kept here, not the text): the graph
# starts at its first real frame (no << TOTAL >>), the block's "CONTENT:  malloc<4096>" sits one column
# under the frame that allocated it, and the author's "(省略)" ("omitted") marks cut the output before the
# graph and after it.
_NO_TOTAL_WITH_CONTENT = """\
 (省略)
Call graph:
    3 (12.0K) _dyld_start  (in dyld) + 37  [0x10e264025]
      3 (12.0K) dyld::initializeMainExecutable()  (in dyld) + 129  [0x10e26586b]
        2 (8.00K) load_images  (in libobjc.A.dylib) + 847  [0x7fff202e6211]
          2 (8.00K) _malloc_zone_memalign  (in libsystem_malloc.dylib) + 460  [0x7fff2028a348]
            2 (8.00K) CONTENT:  malloc<4096>
        1 (4.00K) my_init  (in a.out) + 12  [0x10e200010]
          1 (4.00K) CONTENT:  malloc<4096>
    1 (32 bytes) main  (in a.out) + 8  [0x10e200100]

 (省略)
"""


def test_call_tree_without_total_keeps_its_first_frame_and_content_is_not_a_frame():
    r = parse_malloc_history(_NO_TOTAL_WITH_CONTENT)
    assert r.kind == "callTree" and r.truncated and r.skipped == 0
    assert r.notes == ("lines before the report were cut ((省略))",)
    # the real first node is a frame; the << TOTAL >> above it is made here, over both top nodes
    assert r.tree.frame.function == "<< TOTAL >>" and (r.tree.count, r.tree.bytes) == (4, 12 * 1024 + 32)
    dyld, main = r.tree.children
    assert dyld.frame == Frame("_dyld_start", "dyld") and main.frame == Frame("main", "a.out")
    by_leaf = {s.frames[-1].function: s for s in r.stacks}
    assert set(by_leaf) == {"_malloc_zone_memalign", "my_init", "main"}  # never "CONTENT:  malloc<4096>"
    memalign = by_leaf["_malloc_zone_memalign"]
    assert (memalign.count, memalign.bytes) == (2, 8 * 1024)
    assert [f.function for f in memalign.frames] == [
        "_dyld_start", "dyld::initializeMainExecutable()", "load_images", "_malloc_zone_memalign"]
    assert (by_leaf["main"].count, by_leaf["main"].bytes, by_leaf["main"].frames) == (1, 32, (Frame("main", "a.out"),))
    alloc_node = dyld.children[0].children[0].children[0]
    assert alloc_node.contents == ["malloc<4096>"] and alloc_node.children == []


@pytest.mark.parametrize("mark", ["[..]", "[...]", "...", "…", "(snip)", "<snip>", "(省略)", "      + ! : [..]"])
def test_cut_marks_in_a_tree_are_cuts(mark):
    text = read("malloc_history_callTree_chama-optics-issue5-xcode26.txt").rstrip("\n") + "\n" + mark + "\n"
    r = parse_malloc_history(text)
    assert r.truncated and r.skipped == 0 and r.tree.count == 52174
    assert "cut" in " ".join(r.generation().notes)


def test_the_xcode26_tree_without_a_cut_mark_is_not_called_cut():
    assert not parse_malloc_history(read("malloc_history_callTree_chama-optics-issue5-xcode26.txt")).truncated


def test_an_address_record_without_a_thread_keeps_every_frame():
    # newer records start at a frame, "0xADDR (image) symbol", with no thread name before it
    r = parse_malloc_history(
        "ALLOC 0x600000c04000-0x600000c0403f [size=64]: 0x19a0b3154 (dyld) start | 0x1047d3a2c (App) main | "
        "0x1047d3b10 (App) makeCache | 0x19a2f1c84 (libsystem_malloc.dylib) malloc\n")
    (event,) = r.events
    assert event.thread == "" and event.size == 64
    assert event.frames == ("0x19a0b3154 (dyld) start", "0x1047d3a2c (App) main", "0x1047d3b10 (App) makeCache",
                            "0x19a2f1c84 (libsystem_malloc.dylib) malloc")


def test_address_history_2010_report_version_2():
    r = parse_malloc_history(read("malloc_history_address_gipi-blog-2010.txt"))
    assert r.kind == "address" and not r.truncated
    assert (r.header.process, r.header.pid) == ("ShitApp", 1695)
    assert [(e.kind, hex(e.start), e.size) for e in r.events] == [
        ("ALLOC", "0x7684870", 292), ("FREE", "0x7684870", 292), ("ALLOC", "0x7684990", 16)]
    alloc, free, _ = r.events
    assert alloc.end == 0x7684993 and alloc.thread == "thread_a08eb500"
    assert alloc.frames[0] == "start" and alloc.frames[-1] == "malloc_zone_calloc"
    assert "-[ShitAppDelegate imageWithImage:scaledToSize:]" in alloc.frames
    assert free.frames[-1] == "free"
    with pytest.raises(ParseError, match="address history"):
        r.generation()


def test_address_history_2013_elided_by_its_author():
    r = parse_malloc_history(read("malloc_history_address_paulsturgess-rubymotion-2013.txt"))
    assert r.kind == "address" and r.truncated  # stacks cut with "..."
    assert r.header.process == "YourAppName" and r.header.os_version == "Mac OS X 10.8.5 (12F45)"
    assert [e.kind for e in r.events] == ["ALLOC", "FREE", "ALLOC"]
    assert r.events[2].size == 112 and r.events[2].frames[-1] == "malloc_zone_calloc"


def test_two_outputs_pasted_together_are_rejected():
    text = read("malloc_history_allBySize_craftware-tip-safari-2018.txt") + "\n" + read(
        "malloc_history_address_gipi-blog-2010.txt")
    with pytest.raises(ParseError, match="pasted together"):
        parse_malloc_history(text)


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", "no 'N calls for B bytes:' record"),
        ("Process:         Foo [12]\n----\n\n", "no 'N calls for B bytes:' record"),
        # what `heap` prints is not malloc_history's
        ((DATA / "heap_ios_sim_17_2.txt").read_text(), "no 'N calls for B bytes:' record"),
        ("Stack logging was dynamically enabled in target process after it was launched\n",
         "it says: Stack logging was dynamically enabled"),
    ],
)
def test_output_without_stacks_is_rejected_naming_why(text, reason):
    with pytest.raises(ParseError, match="cannot parse malloc_history output") as info:
        parse_malloc_history(text)
    assert reason in str(info.value)


def test_a_generation_diff_over_two_recorded_outputs():
    """The 2007 output against itself with one record grown: that stack, and only it, is reported."""
    text = read("malloc_history_all_by_size_git-mailinglist-2007.txt")
    before = parse_malloc_history(text).generation()
    after = parse_malloc_history(text.replace("1 calls for 52000 bytes", "5 calls for 260000 bytes")).generation()
    (row,) = grown_stacks(before, after, iterations=4)
    assert row.bytes_per_iteration == 52000 and row.count_per_iteration == 1
    assert row.app_frames[0].function == "new_tree_entry"
    assert [f.function for f in row.app_frames] == ["new_tree_entry", "load_tree", "cmd_new_commit", "main"]


_FRAGMENTS = [line for name in SAMPLES for line in read(name).splitlines()] + [
    "Call graph:", "[..]", "...", "", "    12 (1K) x", "      + ! : | 3 (", "ALLOC 0x1: ", "0 calls for 0 bytes:",
    "Malloc blocks with no stack: 1 total size: 9Q", "----", "\t", "| |", "+ + +",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.text(max_size=400),
    st.lists(st.sampled_from(_FRAGMENTS), max_size=30).map("\n".join),
    st.lists(st.one_of(st.sampled_from(_FRAGMENTS), st.text(max_size=40)), max_size=20).map("\n".join),
))
@pytest.mark.slow
def test_fuzz_only_parse_errors(text):
    try:
        report = parse_malloc_history(text)
    except ParseError:
        return
    if report.kind != "address":
        gen = report.generation()
        assert all(s.count >= 0 and s.bytes >= 0 for s in gen.stacks)

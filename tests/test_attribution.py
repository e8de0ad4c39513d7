import pytest

from pytest_iosmem.attribution.classes import format_grown_classes, grown_classes
from pytest_iosmem.values import ClassStat


def test_grown_classes_per_iteration_most_bytes_first():
    before = [ClassStat("NSString", 1000, 64_000), ClassStat("DetailVC", 2, 1_000), ClassStat("Gone", 5, 500), ClassStat("Shrunk", 3, 30)]
    after = [
        ClassStat("NSString", 1000, 64_000),  # unchanged: not listed
        ClassStat("DetailVC", 7, 3_500),
        ClassStat("UIImage", 5, 2_500_000),  # new class
        ClassStat("Shrunk", 1, 10),
    ]
    rows = grown_classes(before, after, iterations=5)
    assert [r.name for r in rows] == ["UIImage", "DetailVC"]
    assert rows[0].bytes_per_iteration == 500_000 and rows[0].count_before == 0
    assert rows[1].count_per_iteration == 1.0
    table = format_grown_classes(rows)
    assert "UIImage" in table and "+500 KB" in table and "+1.0" in table
    with pytest.raises(ValueError):
        grown_classes(before, after, iterations=0)


def test_top_limits_rows_and_ties_are_stable():
    before = [ClassStat("A", 1, 100), ClassStat("B", 1, 100)]
    after = [ClassStat("B", 3, 300), ClassStat("A", 3, 300), ClassStat("C", 9, 300)]
    rows = grown_classes(before, after, iterations=2, top=2)
    assert [r.name for r in rows] == ["C", "A"]  # C is new (most bytes grown); A and B tie: by name
    assert rows[1].bytes_per_iteration == 100 and rows[1].count_per_iteration == 1.0


def test_count_growth_without_byte_growth_is_listed():
    rows = grown_classes([ClassStat("Tiny", 1, 64)], [ClassStat("Tiny", 5, 64)], iterations=4)
    assert rows[0].count_per_iteration == 1.0 and rows[0].bytes_per_iteration == 0


def test_heap_histograms_from_the_recording_diff_with_themselves_to_nothing():
    from pathlib import Path

    from pytest_iosmem.parsers.heap import parse_heap

    classes = parse_heap((Path(__file__).parent / "data" / "heap_ios_sim_17_2.txt").read_text()).classes
    assert grown_classes(classes, classes, iterations=3) == []
    grown = [ClassStat(c.name, c.count + 3, c.bytes + 3 * 944) if c.name == "ViewController" else c for c in classes]
    [row] = grown_classes(classes, grown, iterations=3)
    assert (row.name, row.count_per_iteration, row.bytes_per_iteration) == ("ViewController", 1.0, 944.0)
    assert "ViewController" in format_grown_classes([row])

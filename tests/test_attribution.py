import pytest

from pytest_iosmem.attribution import format_grown_classes, grown_classes
from pytest_iosmem.targets.base import ClassStat


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

import pytest

from pytest_iosmem.units import Tolerance, UnitError, format_size, parse_percent, parse_size, parse_tolerance


@pytest.mark.parametrize(
    "text,expected",
    [
        ("150MB", 150_000_000),
        ("512KB", 512_000),
        ("1.5GiB", int(1.5 * 1024**3)),
        ("64KiB", 65536),
        (" 10 mb ", 10_000_000),
        ("2048", 2048),
        ("0", 0),
        ("1e3KB", 1_000_000),
        (4096, 4096),
        ("3M", 3 * 1024**2),
    ],
)
def test_parse_size(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("bad", ["", "MB", "12 parsecs", "-5MB", "1..2MB", "nan", True, None, [1], float("inf")])
def test_parse_size_rejects_with_the_value_in_the_message(bad):
    with pytest.raises(UnitError) as info:
        parse_size(bad)
    assert repr(bad) in str(info.value) or str(bad) in str(info.value)


def test_parse_percent():
    assert parse_percent("8%") == pytest.approx(0.08)
    assert parse_percent("0.5") == pytest.approx(0.5)
    assert parse_percent(0.25) == 0.25
    for bad in ("eight%", "-3%", "", "%"):
        with pytest.raises(UnitError):
            parse_percent(bad)


def test_tolerance_takes_the_larger_allowance():
    t = parse_tolerance("8%,5MB")
    assert t == Tolerance(fraction=0.08, bytes=5_000_000)
    assert t.allowance(10_000_000) == 5_000_000
    assert t.allowance(100_000_000) == 8_000_000
    assert parse_tolerance("10% or 1MB") == Tolerance(0.10, 1_000_000)
    assert parse_tolerance("2MB").allowance(10**9) == 2_000_000
    with pytest.raises(UnitError):
        parse_tolerance("5%,6%")
    with pytest.raises(UnitError):
        parse_tolerance("")


def test_format_size():
    assert format_size(212_000) == "212 KB"
    assert format_size(212_000, signed=True) == "+212 KB"
    assert format_size(-1_500_000, signed=True) == "-1.5 MB"
    assert format_size(999) == "999 B"
    assert format_size(None) == "-"
    assert format_size(3_200_000_000) == "3.2 GB"

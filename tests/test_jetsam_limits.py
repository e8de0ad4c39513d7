"""The jetsam limit table: every row sourced, keyed by model and major OS release, unknown says so."""

import json
import re
from pathlib import Path

import pytest

from pytest_iosmem import jetsam_limits as jl

DATA = Path(__file__).parent / "data"
MiB = 1024 * 1024


def test_the_recorded_jetsam_event_is_a_row():
    # tests/data/jetsam_event_ios11_4_1_per_process_limit_excerpt.txt: product iPhone10,1, build
    # "iPhone OS 11.4.1 (15G77)", pageSize 16384, and the per-process-limit entry's rpages 89600.
    text = (DATA / "jetsam_event_ios11_4_1_per_process_limit_excerpt.txt").read_text()
    assert '"product" : "iPhone10,1"' in text and '"pageSize" : 16384' in text
    assert '"rpages" : 89600' in text and '"reason" : "per-process-limit"' in text
    limit = jl.lookup("iPhone10,1", "iOS 11.4.1")
    assert limit.bytes == 89600 * 16384 == 1400 * MiB
    assert "rpages 89600" in limit.source and "11.4.1" in limit.source


def test_stackoverflow_rows_quote_their_line():
    limit = jl.lookup("iPhone8,1", "9.3")
    assert limit.bytes == 1396 * MiB
    assert "15200855" in limit.source and "'iPhone6s: 1396MB/2048MB/68% (iOS 9.2)'" in limit.source
    assert jl.lookup("iPhone12,5", "iOS 13.7").bytes == 2067 * MiB
    assert jl.lookup("iPhone10,4", "12.4").bytes == 1364 * MiB  # "iPhone8: 1364/1990MB/70% (iOS 12.1)"


def test_rows_cover_only_the_major_release_they_were_measured_on():
    assert jl.lookup("iPhone8,1", "10.0") is None
    assert jl.lookup("iPhone10,1", "17.5") is None
    assert jl.lookup("iPhone12,1", "iOS 18.0") is None


def test_unknown_models_and_versions_give_none_never_a_guess():
    assert jl.lookup("iPhone15,2", "17.5") is None  # iPhone 14 Pro: no public measurement
    assert jl.lookup("iPhone99,9", "17.5") is None
    assert jl.lookup("", "17.5") is None
    assert jl.lookup("iPhone8,1", None) is None
    assert jl.lookup("iPhone8,1", "garbage") is None


def test_unknown_reason_says_what_is_known_and_what_to_do():
    why = jl.unknown_reason("iPhone8,1", "iOS 17.5")
    assert "iPhone 6s" in why and "iOS 9.2" in why and "--iosmem-jetsam-limit" in why
    assert "no public measurement of iPhone15,2 (iPhone 14 Pro)" in jl.unknown_reason("iPhone15,2", "17.5")
    ipad = jl.unknown_reason("iPad16,4", "iPadOS 26.4")
    assert "6 GB" in ipad and "3 GB" in ipad and "826325" in ipad
    assert "826325" not in jl.unknown_reason("iPad16,4", "26.3")
    assert "model is unknown" in jl.unknown_reason(None, "17.5")


def test_every_row_is_sourced_and_plausible():
    for row in jl.ROWS:
        assert row.source and row.models and row.os_major >= 6
        assert 100 * MiB < row.bytes < 8 * 1024 * MiB
        assert jl.parse_version(row.measured_on)[0] == row.os_major
        for model in row.models:
            assert re.fullmatch(r"(iPhone|iPad|iPod)\d+,\d+", model), model
            assert jl.marketing_name(model), f"{model} has no name"


def test_so_rows_agree_with_their_quoted_line():
    for row in jl.ROWS:
        m = re.search(r"'[^:]+: (\d+)(?:MB)?/", row.source)
        if "15200855" in row.source:
            assert m and int(m.group(1)) * MiB == row.bytes, row.source


def test_marketing_names():
    assert jl.marketing_name("iPhone15,2") == "iPhone 14 Pro"
    assert jl.marketing_name("iPhone10,1") == "iPhone 8"
    assert jl.marketing_name("iPhone99,1") is None


@pytest.mark.parametrize(
    "given, model",
    [
        ("com.apple.CoreSimulator.SimDeviceType.iPhone-14-Pro", "iPhone15,2"),
        ("iPhone 14 Pro", "iPhone15,2"),
        ("iphone 6s", "iPhone8,1"),
        ({"identifier": "com.apple.CoreSimulator.SimDeviceType.iPhone-11", "name": "iPhone 11"}, "iPhone12,1"),
        ({"modelIdentifier": "iPad17,4", "identifier": "x"}, "iPad17,4"),
        ("com.apple.CoreSimulator.SimDeviceType.Apple-Vision-Pro", None),
        ("My Phone", None),
        (None, None),
    ],
)
def test_model_for_device_type(given, model):
    assert jl.model_for_device_type(given) == model


def test_device_type_table_agrees_with_the_recorded_listings():
    """Every recorded device type with a modelIdentifier maps to the same model through the table."""
    text = (DATA / "simctl_list_xcode26_trimmed.jsonc").read_text()
    listings = [json.loads((DATA / n).read_text()) for n in ("simctl_list_xcode16.json", "simctl_list_xcode14.json")]
    listings.append(json.loads(re.sub(r",(\s*[}\]])", r"\1", text)))
    checked = 0
    for listing in listings:
        for t in listing["devicetypes"]:
            if t.get("productFamily") in ("iPhone", "iPad") and t.get("modelIdentifier"):
                assert jl.model_for_device_type(t["identifier"]) == t["modelIdentifier"], t["identifier"]
                checked += 1
    assert checked > 80

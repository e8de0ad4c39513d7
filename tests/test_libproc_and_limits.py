"""The libproc structure layout (any OS) and the jetsam limit table."""

import ctypes

from pytest_iosmem import jetsam_limits
from pytest_iosmem.targets.libproc import RusageInfoV4


def test_rusage_info_v4_layout_matches_sys_resource_h():
    # offsets of struct rusage_info_v4 in <sys/resource.h>: 16-byte uuid, then uint64 fields
    assert RusageInfoV4.ri_phys_footprint.offset == 16 + 7 * 8
    assert RusageInfoV4.ri_lifetime_max_phys_footprint.offset == 16 + 28 * 8
    assert RusageInfoV4.ri_runnable_time.offset == 16 + 34 * 8
    assert ctypes.sizeof(RusageInfoV4) == 16 + 35 * 8


def test_known_limit_has_its_source_and_unknown_models_say_none():
    limit = jetsam_limits.lookup("iPhone10,1", "iOS 11.4.1")
    assert limit.bytes == 1400 * 1024 * 1024 and "rpages 89600" in limit.source
    assert jetsam_limits.lookup("iPhone10,1", "17.5") is None  # limits move between releases
    assert jetsam_limits.lookup("iPhone99,9", "17.5") is None
    assert jetsam_limits.marketing_name("iPhone15,2") == "iPhone 14 Pro"
    for row in jetsam_limits.ROWS:
        assert row.source and row.bytes > 0

"""libproc's ``struct rusage_info_v4`` (layout on any OS; the real call only on macOS)."""

import ctypes
import os
import sys

import pytest

from pytest_iosmem.errors import ReadFailed, TargetUnavailable
from pytest_iosmem.targets import libproc
from pytest_iosmem.targets.libproc import RusageInfoV4

# Offsets of struct rusage_info_v4 in <sys/resource.h> (macOS SDK): a 16-byte ri_uuid, then
# uint64_t fields in this order; nothing is padded. (v5 adds ri_flags at 296, v6 more after it.)
V4_OFFSETS = {
    "ri_uuid": 0,
    "ri_user_time": 16,
    "ri_system_time": 24,
    "ri_pkg_idle_wkups": 32,
    "ri_interrupt_wkups": 40,
    "ri_pageins": 48,
    "ri_wired_size": 56,
    "ri_resident_size": 64,
    "ri_phys_footprint": 72,
    "ri_proc_start_abstime": 80,
    "ri_proc_exit_abstime": 88,
    "ri_child_user_time": 96,
    "ri_child_system_time": 104,
    "ri_child_pkg_idle_wkups": 112,
    "ri_child_interrupt_wkups": 120,
    "ri_child_pageins": 128,
    "ri_child_elapsed_abstime": 136,
    "ri_diskio_bytesread": 144,
    "ri_diskio_byteswritten": 152,
    "ri_cpu_time_qos_default": 160,
    "ri_cpu_time_qos_maintenance": 168,
    "ri_cpu_time_qos_background": 176,
    "ri_cpu_time_qos_utility": 184,
    "ri_cpu_time_qos_legacy": 192,
    "ri_cpu_time_qos_user_initiated": 200,
    "ri_cpu_time_qos_user_interactive": 208,
    "ri_billed_system_time": 216,
    "ri_serviced_system_time": 224,
    "ri_logical_writes": 232,
    "ri_lifetime_max_phys_footprint": 240,
    "ri_instructions": 248,
    "ri_cycles": 256,
    "ri_billed_energy": 264,
    "ri_serviced_energy": 272,
    "ri_interval_max_phys_footprint": 280,
    "ri_runnable_time": 288,
}


def test_rusage_info_v4_field_offsets_match_sys_resource_h():
    assert [name for name, _ in RusageInfoV4._fields_] == list(V4_OFFSETS)
    for name, offset in V4_OFFSETS.items():
        assert getattr(RusageInfoV4, name).offset == offset, name
    assert ctypes.sizeof(RusageInfoV4) == 296
    assert libproc.RUSAGE_INFO_V4 == 4


@pytest.mark.skipif(sys.platform == "darwin", reason="checks the non-macOS path")
def test_elsewhere_it_imports_but_says_it_is_macos_only():
    with pytest.raises(TargetUnavailable, match="macOS"):
        libproc.read_footprint(os.getpid())


@pytest.mark.macos
@pytest.mark.skipif(sys.platform != "darwin", reason="proc_pid_rusage needs macOS")
def test_real_read_of_this_process():
    r = libproc.read_footprint(os.getpid())
    assert r.footprint > 1_000_000 and r.peak is not None and r.peak >= r.footprint


@pytest.mark.macos
@pytest.mark.skipif(sys.platform != "darwin", reason="proc_pid_rusage needs macOS")
def test_real_read_of_a_gone_pid_names_the_errno():
    with pytest.raises(ReadFailed, match=r"proc_pid_rusage\(99999999\) failed: "):
        libproc.read_footprint(99999999)

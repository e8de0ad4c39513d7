"""The options of every target, as data.

The plugin registers all of them in every pytest run (``--help`` shows them
and ini files may set them), so they live here, where reading them imports
nothing but :class:`TargetOption`.  Each target module re-exports its own
tuple as ``OPTIONS``; a test checks the two agree.
"""

from __future__ import annotations

from . import TargetOption

__all__ = ["LOCAL_OPTIONS", "SIMULATOR_OPTIONS", "DEVICE_OPTIONS", "OPTIONS_BY_TARGET"]

LOCAL_OPTIONS = (
    TargetOption(
        "local_warning_signal",
        "signal the local target sends as a memory warning (name or number; default SIGUSR1)",
        "SIGUSR1",
    ),
    TargetOption(
        "local_stop_timeout",
        "seconds to wait after SIGTERM before SIGKILL when stopping the local app (default 3)",
        "3",
    ),
)

SIMULATOR_OPTIONS = (
    TargetOption("simulator_udid", "simulator to use, by UDID (see: iosmem devices)"),
    TargetOption("simulator_name", "simulator to use, by name, e.g. 'iPhone 15' (with --iosmem-simulator-runtime)"),
    TargetOption("simulator_runtime", "runtime of the simulator to pick by name, e.g. 'iOS 17.5'"),
    TargetOption("simulator_app", "path of an .app to install on the simulator before launching"),
    TargetOption(
        "simulator_pool",
        "one simulator per xdist worker, each taken by one worker on its host: entries UDID, UDID@WDA_URL, "
        "HOST:UDID or HOST:UDID@WDA_URL (several Macs: name the host of every entry; ini: one per line)",
        None,
        "linelist",
    ),
    TargetOption("simulator_clone", "clone the simulator for each xdist worker, delete the clones at the end", None, "bool"),
    TargetOption(
        "simulator_xctestrun",
        "start WebDriverAgent from this built .xctestrun (xcodebuild test-without-building, on 127.0.0.1, "
        "port 8100+N per xdist worker) before launching the app, and stop it at the end",
    ),
    TargetOption(
        "simulator_leaks",
        "with --iosmem-attribution=on: also save leaks memgraphs at the first and last measured iteration "
        "and report the leaks that are new (leaks -diffFrom)",
        None,
        "bool",
    ),
    TargetOption(
        "simulator_leaks_allowlist",
        "leak root types to ignore in the leaks diff, shell patterns (e.g. 'NSXPC*'; ini: one per line)",
        None,
        "linelist",
    ),
)

DEVICE_OPTIONS = (
    TargetOption("device_udid", "device to use, by UDID (default: the only connected one)"),
    TargetOption("device_rsd", "'HOST PORT' of a RemoteXPC tunnel you started (`pymobiledevice3 remote start-tunnel` "
                               "prints RSD Address and Port); tried before anything else"),
    TargetOption("device_tunneld", "HOST:PORT of a running pymobiledevice3 tunneld (default 127.0.0.1:49151); "
                                   "without one, iOS 17+ gets an in-process tunnel (no root), iOS 16 lockdown"),
    TargetOption("device_sysmon_interval", "seconds between sysmontap samples of the device (default 0.5)", "0.5"),
    TargetOption(
        "device_memory_warning",
        "auto (default: `xcrun devicectl device process sendMemoryWarning` on a Mac with Xcode 15+, else none), "
        "devicectl, experimental (Instruments' process-control MemoryEvent) or off; a warning counts only once a "
        "memory notification for the app confirms it",
        "auto",
    ),
    TargetOption(
        "device_memgraph",
        "save a .memgraph of the app through Instruments' Leaks channel before stopping it "
        "(development-signed apps; files under the artifacts directory)",
        None,
        "bool",
    ),
)

OPTIONS_BY_TARGET: dict[str, tuple[TargetOption, ...]] = {
    "local": LOCAL_OPTIONS,
    "simulator": SIMULATOR_OPTIONS,
    "device": DEVICE_OPTIONS,
}

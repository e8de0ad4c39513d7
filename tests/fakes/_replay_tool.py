"""Shared body of the stand-in host tools (heap, leaks, footprint, xcodebuild): replay, log, exit.

FAKE_TOOLS_LOG             file that gets one JSON line per call: {"argv": [tool, ...]}
FAKE_<TOOL>_OUTPUT         recorded output to print (e.g. FAKE_HEAP_OUTPUT=tests/data/heap_ios_sim_17_2.txt)
FAKE_<TOOL>_EXIT           exit status (default 0)
FAKE_<TOOL>_STDERR         text for stderr
leaks -outputGraph=PATH    also creates PATH (a memgraph stands in as a small text file)
"""
import json
import os
import sys


def main(tool: str) -> None:
    args = sys.argv[1:]
    log = os.environ.get("FAKE_TOOLS_LOG")
    if log:
        with open(log, "a") as f:
            f.write(json.dumps({"argv": [tool, *args]}) + "\n")
    key = tool.upper()
    if tool == "leaks" and any(a.startswith("-diffFrom=") for a in args):
        key = "LEAKS_DIFF"
    for a in args:
        if a.startswith("-outputGraph="):
            with open(a.split("=", 1)[1], "w") as g:
                g.write("stand-in memgraph\n")
    out = os.environ.get(f"FAKE_{key}_OUTPUT")
    if out:
        sys.stdout.write(open(out).read())
    if os.environ.get(f"FAKE_{key}_STDERR"):
        sys.stderr.write(os.environ[f"FAKE_{key}_STDERR"] + "\n")
    sys.stdout.flush()
    sys.exit(int(os.environ.get(f"FAKE_{key}_EXIT", "0")))

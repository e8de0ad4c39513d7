"""Shared body of the stand-in host tools (heap, leaks): parse like the real tool, replay, log, exit.

Each stand-in parses its command line the way the tool's man page says
(macOS 13-26 man pages: leaks(1), heap(1)) and rejects what
the real tool would reject: an unknown option, an option without its value,
``-outputGraph=PATH`` (the man page's spelling is ``-outputGraph path``, two
arguments), ``-diffFrom PATH`` (it is ``-diffFrom=<memgraph>``), a missing or
second target.  A rejected command line exits 2 with a usage line on stderr
(the wording is ours: no real rejection text is recorded).  So a test of our
command lines proves they are what the tools accept, not what our code emits.

FAKE_TOOLS_LOG             file that gets one JSON line per accepted call: {"argv": [tool, ...]}
FAKE_<TOOL>_OUTPUT         recorded output to print (e.g. FAKE_HEAP_OUTPUT=tests/data/heap_ios_sim_17_2.txt)
FAKE_<TOOL>_EXIT           exit status (default 0)
FAKE_<TOOL>_STDERR         text for stderr
FAKE_<TOOL>_SLEEP          seconds to take before answering (a slow inspection)
leaks -outputGraph PATH    also creates PATH (a memgraph stands in as a small text file)
"""
from __future__ import annotations

import json
import os
import sys
import time

# leaks(1): leaks [options] pid | partial-executable-name | memory-graph-file
#           leaks [options] -atExit -- command
LEAKS_FLAGS = {"-list", "-groupByType", "-nostacks", "-nosources", "-quiet", "-fullContent", "-readonlyContent",
               "-noContent", "-fullStackHistory", "-referenceTree", "-autoreleasePools", "-conservative",
               "-nocontext", "-atExit"}
LEAKS_VALUED = {"-exclude", "-outputGraph", "-traceTree"}  # "-option value": two arguments
LEAKS_EQUALS = {"-diffFrom", "-debug"}  # "-option=value": one argument

# heap(1): heap [-s | -sortBySize] [-z | -zones] [-H | -humanReadable] [-guessNonObjects] [-sumObjectFields]
#               [-showSizes] [-addresses all | <classes-pattern>] [-noContent] pid | name | memory-graph-file
HEAP_FLAGS = {"-s", "-sortBySize", "-z", "-zones", "-H", "-humanReadable", "-guessNonObjects", "-sumObjectFields",
              "-showSizes", "-noContent"}
HEAP_VALUED = {"-addresses"}

class Usage(Exception):
    pass


def parse_leaks(args: list[str]) -> dict:
    opts: dict = {}
    targets: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            if "-atExit" not in opts:
                raise Usage("'--' is only for -atExit -- command")
            opts["command"] = args[i + 1 :]
            if not opts["command"]:
                raise Usage("-atExit -- needs a command")
            break
        if a.startswith("-") and not a.lstrip("-").isdigit():
            name, eq, value = a.partition("=")
            if name in LEAKS_EQUALS:
                if not eq or not value:
                    raise Usage(f"{name} takes its value after '=': {name}=<value>")
                opts[name] = value
            elif name in LEAKS_VALUED:
                if eq:
                    raise Usage(f"unknown option {a!r} ({name} takes its value as the next argument)")
                if i + 1 >= len(args):
                    raise Usage(f"{name} needs a value")
                opts[name] = args[i + 1]
                i += 1
            elif a in LEAKS_FLAGS:
                opts[a] = True
            else:
                raise Usage(f"unknown option {a!r}")
        else:
            targets.append(a)
        i += 1
    if "-atExit" in opts:
        if targets or "command" not in opts:
            raise Usage("-atExit takes no target: leaks [options] -atExit -- command")
    elif len(targets) != 1:
        raise Usage(f"one target (pid, executable name or memory graph file), got {targets!r}")
    opts["target"] = targets[0] if targets else None
    return opts


def parse_heap(args: list[str]) -> dict:
    opts: dict = {}
    targets: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a in HEAP_VALUED:
            if i + 1 >= len(args):
                raise Usage(f"{a} needs 'all' or a classes pattern")
            opts[a] = args[i + 1]
            i += 1
        elif a in HEAP_FLAGS:
            opts[a] = True
        elif a.startswith("-") and not a.lstrip("-").isdigit():
            raise Usage(f"unknown option {a!r}")
        else:
            targets.append(a)
        i += 1
    if len(targets) != 1:
        raise Usage(f"one target (pid, executable name or memory graph file), got {targets!r}")
    opts["target"] = targets[0]
    return opts


PARSERS = {"leaks": parse_leaks, "heap": parse_heap}


def main(tool: str) -> None:
    args = sys.argv[1:]
    try:
        opts = PARSERS[tool](args)
    except Usage as exc:
        sys.stderr.write(f"{tool}: {exc}\nusage: see {tool}(1)\n")
        sys.exit(2)
    log = os.environ.get("FAKE_TOOLS_LOG")
    if log:
        with open(log, "a") as f:
            f.write(json.dumps({"argv": [tool, *args]}) + "\n")
    key = tool.upper()
    if tool == "leaks" and "-diffFrom" in opts:
        key = "LEAKS_DIFF"
    if os.environ.get(f"FAKE_{key}_SLEEP"):
        time.sleep(float(os.environ[f"FAKE_{key}_SLEEP"]))
    if tool == "leaks" and opts.get("-outputGraph"):
        with open(opts["-outputGraph"], "w") as g:
            g.write("stand-in memgraph\n")
    out = os.environ.get(f"FAKE_{key}_OUTPUT")
    if out:
        sys.stdout.write(open(out).read())
    if os.environ.get(f"FAKE_{key}_STDERR"):
        sys.stderr.write(os.environ[f"FAKE_{key}_STDERR"] + "\n")
    sys.stdout.flush()
    sys.exit(int(os.environ.get(f"FAKE_{key}_EXIT", "0")))

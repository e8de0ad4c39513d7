"""Writes the reports a run asked for (JSON, Markdown, HTML), atomically.

Called at the end of the run in the process that holds every result (the
xdist controller), also when tests failed or the run was interrupted, so
what was measured is not lost.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

__all__ = ["write_reports", "report_paths", "relative_paths"]


def report_paths(run) -> dict[str, Path]:
    paths = {}
    for kind in ("json", "markdown", "html"):
        value = run.option(kind)
        if kind == "markdown" and not value:
            value = os.environ.get("GITHUB_STEP_SUMMARY") or None
        if value:
            p = Path(value)
            paths[kind] = p if p.is_absolute() else Path.cwd() / p
    return paths


def _relative(path: object, root: Path) -> object:
    if not isinstance(path, str) or not os.path.isabs(path):
        return path
    try:
        return str(Path(path).relative_to(root))
    except ValueError:  # outside the project: the absolute path is the only one that names it
        return path


def relative_paths(document: dict, root: Path) -> None:
    """Paths in the reports relative to the project where they lie in it (stack frames' files,
    saved artifacts): a report shared as a CI artifact need not carry the runner's directory layout."""
    root = root.resolve()
    for test in document.get("tests") or ():
        test["artifacts"] = [_relative(a, root) for a in test.get("artifacts") or ()]
        for row in test.get("stacks") or ():
            for key in ("frames", "app_frames"):
                for frame in row.get(key) or ():
                    if "file" in frame:
                        frame["file"] = _relative(frame["file"], root)


def write_reports(run, interrupted: bool = False, done: Callable[[str], None] | None = None) -> list[str]:
    """Returns lines for the terminal summary (what was written, or why not).

    A report that cannot be written sets ``run.failed_writes`` (the run's exit
    status then says so, as for a baseline that cannot be written); ``done``
    hears the path of each report once it is written or has failed.
    """
    messages: list[str] = []
    paths = report_paths(run)
    if not paths:
        return messages
    from . import json_report

    document = json_report.build_document(run.results, interrupted=interrupted)
    relative_paths(document, Path(run.rootdir))
    for kind, path in paths.items():
        try:
            if kind == "json":
                json_report.write(document, path)
            elif kind == "markdown":
                from . import markdown

                markdown.write(document, path, append=path == Path(os.environ.get("GITHUB_STEP_SUMMARY", "\0")))
            elif kind == "html":
                from . import html

                html.write(document, path)
        except ImportError as exc:  # an install without a report's dependency: say which, and how to get it
            run.failed_writes = True
            messages.append(f"iosmem {kind} report NOT written to {path}: it needs {exc.name or exc}: "
                            f"pip install {exc.name or 'pygal'}")
        except OSError as exc:
            run.failed_writes = True
            messages.append(f"iosmem {kind} report NOT written to {path}: {exc.strerror or exc}")
        except Exception as exc:  # noqa: BLE001 - one report failing must not cost the others
            run.failed_writes = True
            messages.append(f"iosmem {kind} report NOT written: {type(exc).__name__}: {exc}")
        else:
            messages.append(f"iosmem {kind} report: {path}")
        if done is not None:
            done(str(path))
    return messages

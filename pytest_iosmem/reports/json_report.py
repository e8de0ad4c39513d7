"""The JSON report: every gated test with profile, limits, metrics, findings, baseline, timeline.

Schema: ``pytest_iosmem/schemas/report-v1.json`` (JSON Schema, validated in
the tests).  ``schema_version`` changes only when a field changes meaning or
goes away; new fields may appear within a version.
"""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path
from typing import Any, Sequence

from .. import __version__
from ..atomic import write_atomic
from ..results import is_failure

__all__ = ["SCHEMA_VERSION", "build_document", "write", "load"]

SCHEMA_VERSION = 1


def build_document(results: Sequence[dict[str, Any]], interrupted: bool = False) -> dict[str, Any]:
    return {
        "schema": "pytest-iosmem-report",
        "schema_version": SCHEMA_VERSION,
        "plugin_version": __version__,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "interrupted": interrupted,
        "summary": {
            "tests": len(results),
            "failed": sum(1 for r in results if is_failure(r)),
        },
        "tests": list(results),
    }


def write(document: dict[str, Any], path: str | Path) -> None:
    write_atomic(path, json.dumps(document, indent=1, sort_keys=True, allow_nan=False) + "\n")


def load(path: str | Path) -> dict[str, Any]:
    """Read a report back (for ``iosmem report`` and ``iosmem baseline update``)."""
    from ..errors import UsageError

    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such report file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read the report: {exc}") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}: not a JSON report ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(doc, dict) or doc.get("schema") != "pytest-iosmem-report":
        raise UsageError(f"{path}: not a pytest-iosmem report (no 'schema': 'pytest-iosmem-report')")
    if doc.get("schema_version") != SCHEMA_VERSION:
        raise UsageError(
            f"{path}: report schema version {doc.get('schema_version')!r}, this pytest-iosmem reads {SCHEMA_VERSION}"
        )
    return doc

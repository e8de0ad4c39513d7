"""``iosmem refapp [ARGS...]``: run the bundled reference app (same as ``python -m pytest_iosmem.refapp``)."""

from __future__ import annotations


def register(sub, formatter) -> None:
    sub.add_parser(
        "refapp",
        help="run the bundled reference app (a WebDriverAgent-speaking app with deliberate leaks)",
        description=__doc__,
        epilog="example: iosmem refapp --port 8100 --size map=256KB\n(all arguments go to the reference app; see iosmem refapp --help)",
        formatter_class=formatter,
        add_help=False,
    )


def run_refapp(argv: list[str]) -> int:
    from ..refapp.__main__ import main

    return main(argv)

"""``iosmem report REPORT.json``: render a saved run's report as HTML and/or Markdown.

Exits 1 when the report has failed tests (so a CI step can gate on a saved
report), 0 otherwise, 2 for a missing or bad report file.
"""

from __future__ import annotations

from . import CliError


def register(sub, formatter) -> None:
    p = sub.add_parser("report", help="render a JSON report as HTML or Markdown",
                       description=__doc__, formatter_class=formatter,
                       epilog="example: iosmem report iosmem.json --html report.html --markdown summary.md")
    p.add_argument("report")
    p.add_argument("--html", help="write the HTML page here")
    p.add_argument("--markdown", help="write the Markdown summary here ('-' for stdout)")
    p.set_defaults(handler=run)


def run(args) -> int:
    from ..reports import html, json_report, markdown

    doc = json_report.load(args.report)
    if not args.html and not args.markdown:
        raise CliError("say what to render: --html OUT and/or --markdown OUT")
    if args.html:
        html.write(doc, args.html)
        print(f"wrote {args.html}")
    if args.markdown == "-":
        print(markdown.render(doc), end="")
    elif args.markdown:
        markdown.write(doc, args.markdown)
        print(f"wrote {args.markdown}")
    return 1 if doc["summary"]["failed"] else 0

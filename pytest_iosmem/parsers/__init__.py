"""Pure parsers of Apple tools' output. Each is tested on real recorded output (tests/data).

They take text and return dataclasses; they never run a tool (that is the
targets' job), and output they cannot read raises :class:`~pytest_iosmem.errors.ParseError`
naming the tool.  Unknown extra lines and fields are ignored, so a newer
Xcode that adds a column or a header line does not break them.
"""

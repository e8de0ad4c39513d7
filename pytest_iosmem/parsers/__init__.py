"""Pure parsers of Apple tools' output. Each is tested on real recorded output (tests/data)."""

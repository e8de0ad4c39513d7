"""The NSPredicate subset WebDriverAgent's lookups are written in.

``predicate string`` lookups and the ```…``` / ``$…$`` filters of class
chains are NSPredicate format strings evaluated against each element's
WDA attributes.  This module reads the forms facebook-wda generates and
people write by hand: comparisons ``==``/``=``, ``!=``/``<>``, ``<``, ``>``,
``<=``, ``>=``, ``CONTAINS``, ``BEGINSWITH``, ``ENDSWITH``, ``MATCHES``
(a regular expression matching the whole string), ``LIKE`` (``*``/``?``
wildcards), ``IN {…}``, each with ``[c]``/``[d]`` modifiers; ``AND``/``&&``,
``OR``/``||``, ``NOT``/``!``, parentheses, ``TRUEPREDICATE``/``FALSEPREDICATE``;
string, number and boolean (``true``/``YES``...) values.  Keywords are
case-insensitive, as in NSPredicate.  Anything else raises
:class:`InvalidSelector` with the position it could not read.
"""

from __future__ import annotations

import fnmatch
import re
import unicodedata
from typing import Any, Callable, Protocol

__all__ = ["InvalidSelector", "Predicate", "compile_predicate"]


class HasAttributes(Protocol):
    def attribute(self, name: str) -> Any: ...


Predicate = Callable[[HasAttributes], bool]


class InvalidSelector(ValueError):
    """A query WDA could not read; the server answers it with an "invalid selector" error."""


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<op>==|=|!=|<>|>=|=>|<=|=<|>|<)
      | (?P<logic>&&|\|\||!)
      | (?P<punct>[(){},])
      | (?P<mod>\[[cdnl]+\])
      | (?P<num>-?\d+(?:\.\d+)?)
      | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)
_STRING_OPS = {"CONTAINS", "BEGINSWITH", "ENDSWITH", "MATCHES", "LIKE", "IN"}
_KEYWORDS = _STRING_OPS | {"AND", "OR", "NOT", "TRUEPREDICATE", "FALSEPREDICATE"}
_LOGIC = {"&&": "AND", "||": "OR", "!": "NOT"}
_BOOLS = {"true": True, "yes": True, "false": False, "no": False}


def _tokens(text: str) -> list[tuple[str, str, int]]:
    out, pos = [], 0
    stripped = text.rstrip()
    while pos < len(stripped):
        m = _TOKEN.match(stripped, pos)
        if not m or m.end() == pos:
            raise InvalidSelector(f"Unable to parse the predicate {text!r} at position {pos + 1}: {text[pos:pos + 20]!r}")
        kind = m.lastgroup or ""
        value = m.group(kind)
        start = m.start(kind)
        if kind == "word" and value.upper() in _KEYWORDS:
            kind, value = "kw", value.upper()
        elif kind == "logic":
            kind, value = "kw", _LOGIC[value]
        out.append((kind, value, start))
        pos = m.end()
    return out


def _unquote(s: str) -> str:
    return re.sub(r"\\(.)", r"\1", s[1:-1])


def _fold(s: str, mods: str) -> str:
    if "c" in mods:
        s = s.casefold()
    if "d" in mods:
        s = "".join(ch for ch in unicodedata.normalize("NFD", s) if not unicodedata.combining(ch))
    return s


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1")
    return bool(value)


def _compare(op: str, mods: str, left: Any, right: Any) -> bool:
    """One comparison with NSPredicate's semantics (a missing value equals nothing)."""
    if op == "IN":
        return any(_compare("==", mods, left, r) for r in right)
    if isinstance(right, bool):
        if op in ("==", "="):
            return left is not None and _as_bool(left) == right
        if op in ("!=", "<>"):
            return left is None or _as_bool(left) != right
        raise InvalidSelector(f"{op} cannot compare with a boolean")
    if isinstance(right, float):
        try:
            lv = float(left)
        except (TypeError, ValueError):
            return op in ("!=", "<>")
        return {"==": lv == right, "=": lv == right, "!=": lv != right, "<>": lv != right,
                ">": lv > right, "<": lv < right, ">=": lv >= right, "=>": lv >= right,
                "<=": lv <= right, "=<": lv <= right}.get(op, False)
    if left is None:
        return op in ("!=", "<>")
    lv, rv = _fold(str(left), mods), _fold(str(right), mods)
    if op in ("==", "="):
        return lv == rv
    if op in ("!=", "<>"):
        return lv != rv
    if op == "CONTAINS":
        return rv in lv
    if op == "BEGINSWITH":
        return lv.startswith(rv)
    if op == "ENDSWITH":
        return lv.endswith(rv)
    if op == "MATCHES":
        return re.fullmatch(rv, lv, re.DOTALL) is not None
    if op == "LIKE":
        return fnmatch.fnmatchcase(lv, rv)
    return {">": lv > rv, "<": lv < rv, ">=": lv >= rv, "=>": lv >= rv, "<=": lv <= rv, "=<": lv <= rv}[op]


class _Parser:
    """Recursive descent: or := and (OR and)*; and := not (AND not)*; not := NOT not | primary."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.i = 0

    def error(self, what: str, tok: tuple[str, str, int] | None = None) -> InvalidSelector:
        where = f" at position {tok[2] + 1}" if tok else " at its end"
        return InvalidSelector(f"Unable to parse the predicate {self.text!r}{where}: {what}")

    def peek(self) -> tuple[str, str, int] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, what: str) -> tuple[str, str, int]:
        tok = self.peek()
        if tok is None:
            raise self.error(f"expected {what}")
        self.i += 1
        return tok

    def parse(self) -> Predicate:
        if not self.toks:
            raise InvalidSelector("an empty predicate")
        pred = self.or_()
        tok = self.peek()
        if tok is not None:
            raise self.error(f"unexpected {tok[1]!r}", tok)
        return pred

    def _is(self, kind: str, value: str) -> bool:
        tok = self.peek()
        return tok is not None and tok[0] == kind and tok[1] == value

    def or_(self) -> Predicate:
        parts = [self.and_()]
        while self._is("kw", "OR"):
            self.i += 1
            parts.append(self.and_())
        return parts[0] if len(parts) == 1 else (lambda el: any(p(el) for p in parts))

    def and_(self) -> Predicate:
        parts = [self.not_()]
        while self._is("kw", "AND"):
            self.i += 1
            parts.append(self.not_())
        return parts[0] if len(parts) == 1 else (lambda el: all(p(el) for p in parts))

    def not_(self) -> Predicate:
        if self._is("kw", "NOT"):
            self.i += 1
            inner = self.not_()
            return lambda el: not inner(el)
        return self.primary()

    def primary(self) -> Predicate:
        tok = self.take("a comparison")
        kind, value, _ = tok
        if (kind, value) == ("punct", "("):
            inner = self.or_()
            close = self.take("')'")
            if close[:2] != ("punct", ")"):
                raise self.error("expected ')'", close)
            return inner
        if kind == "kw" and value in ("TRUEPREDICATE", "FALSEPREDICATE"):
            result = value == "TRUEPREDICATE"
            return lambda el: result
        if kind != "word" or value.lower() in _BOOLS:
            raise self.error(f"expected an attribute name, got {value!r}", tok)
        key = value
        op_tok = self.take(f"an operator after {key!r}")
        op_kind, op, _ = op_tok
        if op_kind not in ("op", "kw") or (op_kind == "kw" and op not in _STRING_OPS):
            raise self.error(f"expected an operator after {key!r}, got {op!r}", op_tok)
        mods = ""
        nxt = self.peek()
        if nxt is not None and nxt[0] == "mod":
            mods = self.take("a modifier")[1][1:-1]
        rhs = self.collection() if op == "IN" else self.value(f"{key} {op}")
        if op == "MATCHES":
            try:
                re.compile(str(rhs))
            except re.error as exc:
                raise self.error(f"MATCHES {rhs!r} is not a regular expression ({exc})", op_tok) from None
        return lambda el: _compare(op, mods, el.attribute(key), rhs)

    def value(self, after: str) -> Any:
        tok = self.take(f"a value after {after}")
        kind, raw, _ = tok
        if kind == "str":
            return _unquote(raw)
        if kind == "num":
            return float(raw)
        if kind == "word" and raw.lower() in _BOOLS:
            return _BOOLS[raw.lower()]
        raise self.error(f"expected a value after {after}, got {raw!r}", tok)

    def collection(self) -> list[Any]:
        tok = self.take("'{'")
        if tok[:2] != ("punct", "{"):
            raise self.error("IN wants a list like {'a', 'b'}", tok)
        items = [self.value("'{'")]
        while True:
            tok = self.take("'}'")
            if tok[:2] == ("punct", "}"):
                return items
            if tok[:2] != ("punct", ","):
                raise self.error("expected ',' or '}'", tok)
            items.append(self.value("','"))


def compile_predicate(text: str) -> Predicate:
    """A function telling whether an element matches ``text``; raises InvalidSelector."""
    if not isinstance(text, str):
        raise InvalidSelector(f"a predicate must be a string, not {type(text).__name__}")
    return _Parser(text).parse()

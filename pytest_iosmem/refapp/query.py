"""Element lookup the way WebDriverAgent does it: class chains and predicate strings.

Covers what facebook-wda generates from its selectors
(``**/XCUIElementTypeAny[`label == 'Back' AND name CONTAINS 'B'`][2]``) and what
people write by hand: comparisons ``==``/``=``, ``!=``, ``CONTAINS``,
``BEGINSWITH``, ``ENDSWITH``, ``MATCHES``, ``LIKE`` (with ``[c]``/``[d]``
modifiers), ``AND``/``OR``/``NOT``, parentheses, ``TRUEPREDICATE``; chain
segments ``**``, ``Type``, ``*``, predicates and 1-based (or negative)
indexes.  A query it cannot read raises :class:`InvalidSelector`, which the
server answers with WDA's "invalid selector" error.
"""

from __future__ import annotations

import fnmatch
import re
import unicodedata
from typing import Callable

from .ui import Element

__all__ = ["InvalidSelector", "compile_predicate", "find_class_chain", "find_predicate", "find_xpath"]

Predicate = Callable[[Element], bool]


class InvalidSelector(ValueError):
    pass


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<op>==|=|!=|<>|>=|<=|>|<)
      | (?P<paren>[()])
      | (?P<mod>\[[cdn]+\])
      | (?P<num>-?\d+(?:\.\d+)?)
      | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)
_WORD_OPS = {"CONTAINS", "BEGINSWITH", "ENDSWITH", "MATCHES", "LIKE"}


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise InvalidSelector(f"cannot read the predicate {text!r} at position {pos}: {text[pos:pos + 20]!r}")
        kind = m.lastgroup
        value = m.group(kind)
        if kind == "word" and value.upper() in _WORD_OPS | {"AND", "OR", "NOT", "TRUEPREDICATE", "FALSEPREDICATE"}:
            kind, value = "kw", value.upper()
        out.append((kind, value))
        pos = m.end()
    return out


def _unquote(s: str) -> str:
    body = s[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


def _fold(s: str, mods: str) -> str:
    if "c" in mods:
        s = s.casefold()
    if "d" in mods:
        s = "".join(ch for ch in unicodedata.normalize("NFD", s) if not unicodedata.combining(ch))
    return s


def _compare(op: str, mods: str, left, right) -> bool:
    if isinstance(right, bool) or isinstance(left, bool):
        lv = left if isinstance(left, bool) else str(left).lower() in ("true", "1", "yes")
        if op in ("==", "="):
            return lv == right
        if op in ("!=", "<>"):
            return lv != right
        raise InvalidSelector(f"{op} cannot compare booleans")
    if isinstance(right, (int, float)):
        try:
            lv = float(left)
        except (TypeError, ValueError):
            return op in ("!=", "<>")
        return {"==": lv == right, "=": lv == right, "!=": lv != right, "<>": lv != right,
                ">": lv > right, "<": lv < right, ">=": lv >= right, "<=": lv <= right}[op]
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
        try:
            return re.fullmatch(rv, lv, re.DOTALL) is not None
        except re.error as exc:
            raise InvalidSelector(f"MATCHES {right!r} is not a regular expression: {exc}") from None
    if op == "LIKE":
        return fnmatch.fnmatchcase(lv, rv)
    raise InvalidSelector(f"operator {op} cannot compare strings")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise InvalidSelector(f"the predicate {self.text!r} ends too early")
        self.i += 1
        return tok

    def parse(self) -> Predicate:
        if not self.toks:
            raise InvalidSelector("empty predicate")
        pred = self.or_()
        if self.peek() is not None:
            raise InvalidSelector(f"unexpected {self.peek()[1]!r} in the predicate {self.text!r}")
        return pred

    def or_(self) -> Predicate:
        parts = [self.and_()]
        while self.peek() in (("kw", "OR"), ("kw", "||")):
            self.take()
            parts.append(self.and_())
        return parts[0] if len(parts) == 1 else (lambda el: any(p(el) for p in parts))

    def and_(self) -> Predicate:
        parts = [self.not_()]
        while self.peek() in (("kw", "AND"), ("kw", "&&")):
            self.take()
            parts.append(self.not_())
        return parts[0] if len(parts) == 1 else (lambda el: all(p(el) for p in parts))

    def not_(self) -> Predicate:
        if self.peek() == ("kw", "NOT"):
            self.take()
            inner = self.not_()
            return lambda el: not inner(el)
        return self.primary()

    def primary(self) -> Predicate:
        kind, value = self.take()
        if (kind, value) == ("paren", "("):
            inner = self.or_()
            if self.take() != ("paren", ")"):
                raise InvalidSelector(f"missing ')' in the predicate {self.text!r}")
            return inner
        if kind == "kw" and value in ("TRUEPREDICATE", "FALSEPREDICATE"):
            result = value == "TRUEPREDICATE"
            return lambda el: result
        if kind != "word":
            raise InvalidSelector(f"expected an attribute name, got {value!r} in {self.text!r}")
        key = value
        op_kind, op = self.take()
        if op_kind not in ("op", "kw") or (op_kind == "kw" and op not in _WORD_OPS):
            raise InvalidSelector(f"expected an operator after {key!r}, got {op!r} in {self.text!r}")
        mods = ""
        if self.peek() and self.peek()[0] == "mod":
            mods = self.take()[1][1:-1]
        vkind, raw = self.take()
        if vkind == "str":
            rhs: object = _unquote(raw)
        elif vkind == "num":
            rhs = float(raw)
        elif vkind == "word" and raw.lower() in ("true", "yes", "false", "no"):
            rhs = raw.lower() in ("true", "yes")
        else:
            raise InvalidSelector(f"expected a value after {key} {op}, got {raw!r} in {self.text!r}")
        return lambda el: _compare(op, mods, el.attribute(key), rhs)


def compile_predicate(text: str) -> Predicate:
    return _Parser(text).parse()


def find_predicate(root: Element, text: str) -> list[Element]:
    pred = compile_predicate(text)
    return [el for el in root.walk() if el is not root and pred(el)]


_SEGMENT = re.compile(r"(\*\*|\*|XCUIElementType[A-Za-z]+)((?:\[(?:`(?:[^`\\]|\\.)*`|-?\d+)\])*)")
_FILTER = re.compile(r"\[(`(?:[^`\\]|\\.)*`|-?\d+)\]")


def _segments(text: str, chain: str) -> list[str]:
    """Split a chain on the '/' between segments (not those inside a predicate)."""
    out, pos = [], 1 if text.startswith("/") else 0
    while pos < len(text):
        m = _SEGMENT.match(text, pos)
        if not m:
            raise InvalidSelector(f"cannot read the class chain {chain!r} at position {pos}: {text[pos:pos + 20]!r}")
        out.append(m.group(0))
        pos = m.end()
        if pos < len(text):
            if text[pos] != "/":
                raise InvalidSelector(f"expected '/' at position {pos} of the class chain {chain!r}")
            pos += 1
            if pos == len(text):
                raise InvalidSelector(f"the class chain {chain!r} ends with '/'")
    return out


def _type_matches(wanted: str, el: Element) -> bool:
    return wanted in ("*", "XCUIElementTypeAny") or el.type == wanted


def find_class_chain(root: Element, chain: str) -> list[Element]:
    """Elements matching a class chain, in document order."""
    text = chain.strip()
    if not text:
        raise InvalidSelector("empty class chain")
    current = [root]
    descendant = False
    for raw in _segments(text, chain):
        m = _SEGMENT.fullmatch(raw)
        kind, filters = m.group(1), m.group(2)
        if kind == "**":
            if filters:
                raise InvalidSelector(f"'**' takes no filters in {chain!r}")
            descendant = True
            continue
        found: list[Element] = []
        seen: set[int] = set()
        for parent in current:
            pool = [e for e in parent.walk() if e is not parent] if descendant else parent.children
            matched = [e for e in pool if _type_matches(kind, e) and id(e) not in seen]
            for f in _FILTER.findall(filters):
                if f.startswith("`"):
                    pred = compile_predicate(f[1:-1].replace("\\`", "`"))
                    matched = [e for e in matched if pred(e)]
                else:
                    n = int(f)
                    if n == 0:
                        raise InvalidSelector(f"class chain indexes start at 1 (or -1 from the end): {chain!r}")
                    idx = n - 1 if n > 0 else len(matched) + n
                    matched = [matched[idx]] if 0 <= idx < len(matched) else []
            for e in matched:
                seen.add(id(e))
            found.extend(matched)
        current = found
        descendant = False
    if descendant:
        raise InvalidSelector(f"a class chain cannot end with '**': {chain!r}")
    return current


_XPATH = re.compile(r"^//(\*|XCUIElementType[A-Za-z]+)(?:\[@([A-Za-z]+)=(\"[^\"]*\"|'[^']*')\])?$")


def find_xpath(root: Element, xpath: str) -> list[Element]:
    """The simple XPath forms tests use: ``//Type`` and ``//Type[@attr="value"]``."""
    m = _XPATH.match(xpath.strip())
    if not m:
        raise InvalidSelector(f"only //Type and //Type[@attr='value'] XPath forms are supported, not {xpath!r}")
    kind, attr, value = m.groups()
    out = []
    for el in root.walk():
        if el is root and kind == "*":
            continue
        if _type_matches(kind, el) and (attr is None or str(el.attribute(attr)) == value[1:-1]):
            out.append(el)
    return out

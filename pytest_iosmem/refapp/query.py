"""Element lookup the way WebDriverAgent does it: the locator strategies of ``POST /elements``.

``class chain`` follows WDA's FBClassChainQueryParser: segments
``Type`` / ``*`` joined by ``/``, ``**/`` before a segment for descendants,
then filters in brackets: ```predicate``` (the element matches), ``$predicate$``
(some descendant matches), and last a 1-based or negative position.  A
doubled marker inside a predicate is a literal one (````` is `` ` ``).  As in
WDA's query-based lookup, a position picks from *all* matches of its
segment (not per parent), and an intermediate position makes that one
element the root of the rest of the chain.  ``predicate string``,
``accessibility id``/``id``/``name``, ``class name``, ``link text``/
``partial link text`` (``attribute=text``) and ``xpath`` (the ElementPath
subset of XPath: ``//Type[@attr='v']``, positions, ``..``) complete it.

Syntax errors raise :class:`InvalidSelector` (WDA: "invalid selector"); an
unknown strategy raises :class:`InvalidArgument` (WDA: "invalid argument").
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from .predicate import InvalidSelector, Predicate, compile_predicate
from .ui import ELEMENT_TYPES, PREFIX, Element

__all__ = [
    "InvalidArgument", "InvalidSelector", "ChainItem", "parse_class_chain",
    "find_class_chain", "find_predicate", "find_xpath", "locate",
]


class InvalidArgument(ValueError):
    """A request WDA rejects before searching (an unknown locator strategy, a bad class name)."""


@dataclass
class ChainItem:
    """One segment of a class chain, as WDA's FBClassChainItem."""

    type: str  # an XCUIElementType name, or XCUIElementTypeAny
    descendant: bool = False
    position: int | None = None
    self_predicates: list[Predicate] = field(default_factory=list)
    descendant_predicates: list[Predicate] = field(default_factory=list)


def _chain_error(chain: str, pos: int, what: str) -> InvalidSelector:
    return InvalidSelector(f"Cannot parse class chain query '{chain}'. {what} at position {pos + 1}: {chain[:pos + 1]} <----")


def _element_type(name: str, chain: str, pos: int) -> str:
    if name in ELEMENT_TYPES:
        return name
    if name.startswith(PREFIX) and len(name) > len(PREFIX):
        return "XCUIElementTypeOther"  # WDA treats an unknown XCUIElementType name as Other
    raise InvalidSelector(f"Cannot parse class chain query '{chain}'. '{name}' class name is unknown to WDA")


def _read_predicate(chain: str, pos: int, marker: str) -> tuple[str, int]:
    """The predicate text after ``marker`` at ``pos``; a doubled marker is a literal one."""
    out: list[str] = []
    i = pos + 1
    while i < len(chain):
        ch = chain[i]
        if ch == marker:
            if i + 1 < len(chain) and chain[i + 1] == marker:
                out.append(marker)
                i += 2
                continue
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    raise InvalidSelector(f"Cannot parse class chain query '{chain}'. Cannot find the end of '{''.join(out)}' predicate value.")


def parse_class_chain(chain: str) -> list[ChainItem]:
    """Parse a class chain into segments; raises InvalidSelector like WDA's parser."""
    if not isinstance(chain, str) or not chain:
        raise InvalidSelector("Cannot parse an empty class chain query")
    items: list[ChainItem] = []
    pos = 0
    n = len(chain)
    while True:
        item = ChainItem("XCUIElementTypeAny")
        if chain.startswith("**/", pos):
            item.descendant = True
            pos += 3
            if chain.startswith("**/", pos):
                raise _chain_error(chain, pos, "Descendant markers cannot be duplicated")
        m = re.compile(r"[A-Za-z]+|\*").match(chain, pos)
        if not m:
            what = "Descendants lookup modifier '**/' should be followed with the actual element type" if item.descendant \
                else "Unexpected character detected"
            raise _chain_error(chain, min(pos, n - 1), what)
        item.type = "XCUIElementTypeAny" if m.group() == "*" else _element_type(m.group(), chain, pos)
        pos = m.end()
        while pos < n and chain[pos] == "[":
            if pos + 1 >= n:
                raise _chain_error(chain, pos, "Unexpected end of the query")
            opener = chain[pos + 1]
            if opener in "`$":
                if item.position is not None:
                    raise _chain_error(chain, pos, "A predicate must be set before the position")
                text, pos = _read_predicate(chain, pos + 1, opener)
                try:
                    pred = compile_predicate(text)
                except InvalidSelector as exc:
                    raise InvalidSelector(f"Cannot parse class chain query '{chain}'. {exc}") from None
                (item.self_predicates if opener == "`" else item.descendant_predicates).append(pred)
            else:
                num = re.compile(r"-?\d+").match(chain, pos + 1)
                if not num:
                    raise _chain_error(chain, pos + 1, "Unexpected character detected")
                if item.position is not None:
                    raise _chain_error(chain, pos + 1, "The position can be set only once")
                if int(num.group()) == 0:
                    raise _chain_error(chain, pos + 1, "The position must be an integer not equal to zero")
                item.position = int(num.group())
                pos = num.end()
            if pos >= n or chain[pos] != "]":
                raise _chain_error(chain, min(pos, n - 1), "Expected ']'")
            pos += 1
        items.append(item)
        if pos == n:
            return items
        if chain[pos] != "/" or pos + 1 == n:
            raise _chain_error(chain, pos, "Unexpected character detected")
        pos += 1


def _matches(item: ChainItem, el: Element) -> bool:
    if item.type != "XCUIElementTypeAny" and el.type != item.type:
        return False
    if not all(p(el) for p in item.self_predicates):
        return False
    return all(any(p(d) for d in el.descendants()) for p in item.descendant_predicates)


def _pick(found: list[Element], position: int | None) -> list[Element]:
    if position is None:
        return found
    idx = position - 1 if position > 0 else len(found) + position
    return [found[idx]] if 0 <= idx < len(found) else []


def find_class_chain(root: Element, chain: str) -> list[Element]:
    """Elements under ``root`` matching a class chain, in document order."""
    items = parse_class_chain(chain)
    order = {id(el): i for i, el in enumerate(root.walk())}
    current = [root]
    for item in items:
        pool: dict[int, Element] = {}
        for parent in current:
            for el in (parent.descendants() if item.descendant else parent.children):
                pool.setdefault(id(el), el)
        found = sorted((el for el in pool.values() if _matches(item, el)), key=lambda el: order[id(el)])
        current = _pick(found, item.position)
        if not current:
            return []
    return current


def find_predicate(root: Element, text: str) -> list[Element]:
    """Descendants of ``root`` matching an NSPredicate string."""
    pred = compile_predicate(text)
    return [el for el in root.descendants() if pred(el)]


def _etree(root: Element) -> tuple[ET.Element, dict[int, Element]]:
    """The tree as ElementTree nodes under a document node, and a map back to our elements."""
    back: dict[int, Element] = {}

    def conv(el: Element) -> ET.Element:
        attrs = {"type": el.type}
        for key in ("value", "name", "label"):
            v = getattr(el, key)
            if v:
                attrs[key] = str(v)
        attrs.update({k: str(getattr(el, k)).lower() for k in ("enabled", "visible", "accessible")})
        attrs.update({k: str(getattr(el, k)) for k in ("x", "y", "width", "height", "index")})
        node = ET.Element(el.type, attrs)
        back[id(node)] = el
        node.extend(conv(c) for c in el.children)
        return node

    doc = ET.Element("document")
    doc.append(conv(root))
    return doc, back


def find_xpath(root: Element, xpath: str) -> list[Element]:
    """XPath over the source XML, in the subset ElementTree evaluates.

    ``//XCUIElementTypeButton[@label="Back"]``, ``/XCUIElementTypeApplication/*/…``,
    ``[2]``, ``[last()]``, ``..`` work; XPath functions such as ``contains()``
    do not, and say so as an invalid selector.
    """
    text = xpath.strip() if isinstance(xpath, str) else ""
    if not text:
        raise InvalidSelector("Cannot evaluate an empty XPath expression")
    doc, back = _etree(root)
    path = "." + text if text.startswith("/") else "./" + text
    try:
        nodes = doc.findall(path)
    except (SyntaxError, KeyError, TypeError, ValueError) as exc:
        raise InvalidSelector(
            f"Cannot evaluate the XPath {xpath!r}: the reference app understands the ElementTree subset of "
            f"XPath (paths, [@attr='value'], positions, '..'), not {exc or 'this expression'}"
        ) from None
    return [back[id(n)] for n in nodes if id(n) in back]


def _type_for_class_name(name: str) -> str:
    if name in ELEMENT_TYPES:
        return name
    if name.startswith(PREFIX) and len(name) > len(PREFIX):
        return "XCUIElementTypeOther"
    raise InvalidArgument(f"Invalid argument for class used '{name}'. Did you mean {PREFIX}{name}?")


def locate(root: Element, using: str, value: str) -> list[Element]:
    """``POST /elements`` under ``root``: every match of ``value`` by strategy ``using``."""
    if using == "class chain":
        return find_class_chain(root, value)
    if using == "predicate string":
        return find_predicate(root, value)
    if using in ("accessibility id", "id", "name"):
        return [el for el in root.descendants() if el.name == value]
    if using == "class name":
        wanted = _type_for_class_name(value)
        return [el for el in root.descendants() if wanted == "XCUIElementTypeAny" or el.type == wanted]
    if using == "xpath":
        return find_xpath(root, value)
    if using in ("link text", "partial link text"):
        parts = value.split("=")
        key, text = (parts[0], parts[-1]) if len(parts) > 1 else ("name", parts[-1])
        partial = using.startswith("partial")
        out = []
        for el in root.descendants():
            v = el.attribute(key)
            if v is not None and (text in str(v) if partial else str(v) == text):
                out.append(el)
        return out
    raise InvalidArgument(f"Invalid locator requested: {using}")

"""The accessibility tree of what is on screen, as WebDriverAgent shows it.

Elements carry the attributes WDA reports (type, name, label, value,
enabled, visible, accessible, rect, index); ``/source`` is XML in WDA's
shape: ``XCUIElementType…`` tag names, an ``XCUIElementTypeApplication``
root, attributes in the order WDA writes them (FBXPath.m), name/label/value
left out when empty, and ``index`` the element's position among its
parent's children (WDA's ``wdIndex``), not a global counter.  Element ids
are stable while a screen is shown and go stale when it changes, like real
element references.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Iterator
from xml.sax.saxutils import quoteattr

from .model import App

__all__ = ["Element", "ELEMENT_TYPES", "build_tree", "element_at", "to_xml", "to_json", "SCREEN_SIZE"]

SCREEN_SIZE = (390, 844)  # points, an iPhone 14's window
_NAMESPACE = uuid.UUID("6b3c1f0e-8a2d-4c4e-9b7a-0c1d2e3f4a5b")
PREFIX = "XCUIElementType"

#: XCUIElementType names WDA knows (Apple's XCUIElementType enum); a class
#: chain may name only these (an unknown ``XCUIElementTypeX`` counts as Other there).
ELEMENT_TYPES = frozenset(PREFIX + n for n in (
    "Any Other Application Group Window Sheet Drawer Alert Dialog Button RadioButton RadioGroup CheckBox "
    "DisclosureTriangle PopUpButton ComboBox MenuButton ToolbarButton Popover Keyboard Key NavigationBar "
    "TabBar TabGroup Toolbar StatusBar Table TableRow TableColumn Outline OutlineRow Browser CollectionView "
    "Slider PageIndicator ProgressIndicator ActivityIndicator SegmentedControl Picker PickerWheel Switch "
    "Toggle Link Image Icon SearchField ScrollView ScrollBar StaticText TextField SecureTextField DatePicker "
    "TextView Menu MenuItem MenuBar MenuBarItem Map WebView IncrementArrow DecrementArrow Timeline "
    "RatingIndicator ValueIndicator SplitGroup Splitter RelevanceIndicator ColorWell HelpTag Matte DockItem "
    "Ruler RulerMarker Grid LevelIndicator Cell LayoutArea LayoutItem Handle Stepper Tab TouchBar StatusItem"
).split())

_BOOL_ATTRS = {"enabled", "visible", "accessible", "displayed"}


@dataclass(eq=False)
class Element:
    """One node of the tree. ``action`` is what a tap does: ``("open", title)`` or ``("back", "")``."""

    type: str
    name: str | None = None
    label: str | None = None
    value: str | None = None
    x: int = 0
    y: int = 0
    width: int = 0
    height: int = 0
    enabled: bool = True
    visible: bool = True
    accessible: bool = False
    action: tuple[str, str] | None = None
    children: list["Element"] = field(default_factory=list)
    uid: str = ""
    index: int = 0

    @property
    def rect(self) -> dict[str, int]:
        return {"x": self.x, "y": self.y, "width": self.width, "height": self.height}

    def contains(self, x: float, y: float) -> bool:
        return self.x <= x < self.x + self.width and self.y <= y < self.y + self.height

    def walk(self) -> Iterator["Element"]:
        """This element and its descendants, in document order."""
        yield self
        for c in self.children:
            yield from c.walk()

    def descendants(self) -> Iterator["Element"]:
        for c in self.children:
            yield from c.walk()

    def attribute(self, name: str) -> Any:
        """An attribute by the names WDA accepts (``name``, ``wdName``, ``type``, ``rect``, ``UID``...).

        Unknown names give ``None``, as an NSPredicate key with no value does.
        """
        if "." in name:  # a key path such as rect.x
            head, _, rest = name.partition(".")
            base = self.attribute(head)
            return base.get(rest) if isinstance(base, dict) else None
        key = name[2].lower() + name[3:] if name.startswith("wd") and len(name) > 2 else name
        if key in ("type", "elementType", "className"):
            return self.type
        if key in ("rect", "frame"):
            return self.rect
        if key in ("uid", "UID"):
            return self.uid
        if key in ("displayed", "isVisible"):
            return self.visible
        if key == "isEnabled":
            return self.enabled
        if key in ("isAccessible",):
            return self.accessible
        if key in ("identifier",):
            return self.name
        if key in ("title", "placeholderValue"):
            return None
        if key in ("selected", "hasFocus", "accessibilityContainer", "isAccessibilityContainer"):
            return False
        if key == "hittable":
            return self.visible and self.enabled
        return getattr(self, key, None) if key in _ATTRS else None


_ATTRS = {"name", "label", "value", "enabled", "visible", "accessible", "x", "y", "width", "height", "index"}


def _button(title: str, y: int, action: tuple[str, str]) -> Element:
    return Element("XCUIElementTypeButton", title, title, None, 16, y, 358, 44, accessible=True, action=action)


def build_tree(app: App, bundle_name: str = "RefApp") -> Element:
    """The tree of what is on screen now; ids depend on the screen's generation and position."""
    w, h = SCREEN_SIZE
    root = Element("XCUIElementTypeApplication", bundle_name, bundle_name, None, 0, 0, w, h, accessible=False)
    if app.state == 4:  # in the background or not running, nothing of ours is on screen
        root.children.append(_window(app, w, h))
    _number(root, f"{app.generation}")
    return root


def _window(app: App, w: int, h: int) -> Element:
    window = Element("XCUIElementTypeWindow", None, None, None, 0, 0, w, h)
    top = app.top
    nav = Element("XCUIElementTypeNavigationBar", top.title, None, None, 0, 47, w, 44)
    window.children.append(nav)
    if len(app.stack) > 1:
        nav.children.append(
            Element("XCUIElementTypeButton", "Back", "Back", None, 0, 47, 80, 44, accessible=True, action=("back", ""))
        )
    nav.children.append(
        Element("XCUIElementTypeStaticText", top.title, top.title, top.title, 120, 58, 150, 22, accessible=True)
    )
    content = Element("XCUIElementTypeOther", None, None, None, 0, 91, w, h - 91)
    window.children.append(content)
    if len(app.stack) == 1:
        for i, title in enumerate(app.home_screens):
            content.children.append(_button(title, 120 + i * 60, ("open", title)))
        return window
    detail = {
        "Map": Element("XCUIElementTypeMap", "Map", "Map", None, 0, 91, w, 500),
        "Purging Cache": Element("XCUIElementTypeImage", "Photo", "Photo", None, 20, 120, 350, 350, accessible=True),
        "Stubborn Cache": Element("XCUIElementTypeImage", "Photo", "Photo", None, 20, 120, 350, 350, accessible=True),
        "Photo Detail": Element("XCUIElementTypeImage", "Photo", "Photo", None, 20, 120, 350, 350, accessible=True),
    }.get(top.title)
    if detail:
        content.children.append(detail)
    content.children.append(
        Element("XCUIElementTypeStaticText", "status", f"{top.title} is open", f"visits={len(app.stack) - 1}",
                16, 700, 358, 22, accessible=True)
    )
    return window


def _number(root: Element, state_key: str) -> None:
    """Give each element its sibling index (WDA's wdIndex) and an id tied to this screen state.

    Iterative on purpose: a recursive closure is a reference cycle, and the
    app runs without the cycle collector (see ``__main__``).
    """
    stack = [(root, 0)]
    counter = 0
    while stack:
        el, index = stack.pop()
        el.index = index
        el.uid = str(uuid.uuid5(_NAMESPACE, f"{state_key}:{counter}")).upper()
        counter += 1
        stack.extend((child, i) for i, child in reversed(list(enumerate(el.children))))


def element_at(root: Element, x: float, y: float) -> Element | None:
    """What a tap at (x, y) hits: the deepest tappable element under the point."""
    hit = None
    for el in root.walk():
        if el.action and el.visible and el.contains(x, y):
            hit = el
    return hit


def _attrs(el: Element) -> str:
    parts = [("type", el.type)]
    for key in ("value", "name", "label"):  # WDA's attribute order (FBXPath.m)
        v = getattr(el, key)
        if v:
            parts.append((key, v))
    parts += [
        ("enabled", str(el.enabled).lower()),
        ("visible", str(el.visible).lower()),
        ("accessible", str(el.accessible).lower()),
        ("x", str(el.x)),
        ("y", str(el.y)),
        ("width", str(el.width)),
        ("height", str(el.height)),
        ("index", str(el.index)),
    ]
    return " ".join(f"{k}={quoteattr(v)}" for k, v in parts)


def to_xml(root: Element) -> str:
    """``/source``: the XML document WDA returns (a string value)."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>']

    def emit(el: Element, depth: int) -> None:
        pad = "  " * depth
        if el.children:
            lines.append(f"{pad}<{el.type} {_attrs(el)}>")
            for c in el.children:
                emit(c, depth + 1)
            lines.append(f"{pad}</{el.type}>")
        else:
            lines.append(f"{pad}<{el.type} {_attrs(el)}/>")

    emit(root, 0)
    return "\n".join(lines) + "\n"


def to_json(el: Element) -> dict:
    """``/source?format=json``: WDA's JSON tree shape (short type names, string booleans)."""
    return {
        "type": el.type[len(PREFIX):],
        "name": el.name,
        "label": el.label,
        "value": el.value,
        "rect": el.rect,
        "frame": "{{%d, %d}, {%d, %d}}" % (el.x, el.y, el.width, el.height),
        "isEnabled": "1" if el.enabled else "0",
        "isVisible": "1" if el.visible else "0",
        "isAccessible": "1" if el.accessible else "0",
        "children": [to_json(c) for c in el.children],
    }

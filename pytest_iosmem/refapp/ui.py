"""The accessibility tree of the screen on top, as WebDriverAgent shows it.

Elements carry the attributes WDA reports (type, name, label, value,
enabled, visible, accessible, rect); ``/source`` is XML in WDA's shape, with
``XCUIElementType…`` tag names and an ``XCUIElementTypeApplication`` root.
Element ids are stable while a screen is shown and go stale when it changes,
like real element references.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Iterator
from xml.sax.saxutils import quoteattr

from .model import SCREENS, App

__all__ = ["Element", "build_tree", "to_xml", "to_json", "SCREEN_SIZE"]

SCREEN_SIZE = (390, 844)  # points, an iPhone 14's window
_NAMESPACE = uuid.UUID("6b3c1f0e-8a2d-4c4e-9b7a-0c1d2e3f4a5b")


@dataclass
class Element:
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
    action: tuple[str, str] | None = None  # ("open", title) or ("back", "")
    children: list["Element"] = field(default_factory=list)
    uid: str = ""
    index: int = 0

    @property
    def rect(self) -> dict[str, int]:
        return {"x": self.x, "y": self.y, "width": self.width, "height": self.height}

    def contains(self, x: float, y: float) -> bool:
        return self.x <= x < self.x + self.width and self.y <= y < self.y + self.height

    def walk(self) -> Iterator["Element"]:
        yield self
        for c in self.children:
            yield from c.walk()

    def attribute(self, name: str):
        """An attribute by WDA's names (``name``, ``wdName``, ``type``, ``rect``, ...)."""
        key = name[2].lower() + name[3:] if name.startswith("wd") and len(name) > 2 else name
        if key in ("type", "elementType", "className"):
            return self.type
        if key in ("rect", "frame"):
            return self.rect
        if key == "uid":
            return self.uid
        if key in ("displayed",):
            return self.visible
        return getattr(self, key, None) if key in _ATTRS else None


_ATTRS = {"name", "label", "value", "enabled", "visible", "accessible", "x", "y", "width", "height", "index"}


def _button(title: str, y: int, action: tuple[str, str]) -> Element:
    return Element("XCUIElementTypeButton", title, title, None, 16, y, 358, 44, accessible=True, action=action)


def build_tree(app: App, bundle_name: str = "RefApp") -> Element:
    """The tree of what is on screen now; ids depend on the screen and its depth."""
    w, h = SCREEN_SIZE
    root = Element("XCUIElementTypeApplication", bundle_name, bundle_name, None, 0, 0, w, h, accessible=False)
    if app.state != 4:
        return root  # not in the foreground: nothing of ours on screen
    window = Element("XCUIElementTypeWindow", None, None, None, 0, 0, w, h)
    root.children.append(window)
    top = app.top
    nav = Element("XCUIElementTypeNavigationBar", top.title, None, None, 0, 47, w, 44)
    window.children.append(nav)
    if len(app.stack) > 1:
        nav.children.append(
            Element("XCUIElementTypeButton", "Back", "Back", None, 0, 47, 80, 44, accessible=True, action=("back", ""))
        )
    nav.children.append(Element("XCUIElementTypeStaticText", top.title, top.title, top.title, 120, 58, 150, 22, accessible=True))
    content = Element("XCUIElementTypeOther", None, None, None, 0, 91, w, h - 91)
    window.children.append(content)
    if len(app.stack) == 1:
        for i, title in enumerate(SCREENS):
            content.children.append(_button(title, 120 + i * 60, ("open", title)))
    else:
        detail = {
            "Map": Element("XCUIElementTypeMap", "Map", "Map", None, 0, 91, w, 500),
            "Purging Cache": Element("XCUIElementTypeImage", "Photo", "Photo", None, 20, 120, 350, 350, accessible=True),
            "Stubborn Cache": Element("XCUIElementTypeImage", "Photo", "Photo", None, 20, 120, 350, 350, accessible=True),
        }.get(top.title)
        if detail:
            content.children.append(detail)
        content.children.append(
            Element("XCUIElementTypeStaticText", "status", f"{top.title} is open", f"visits={len(app.stack) - 1}",
                    16, 700, 358, 22, accessible=True)
        )
    state_key = f"{id(top)}:{len(app.stack)}"
    for i, el in enumerate(root.walk()):
        el.index = i
        el.uid = str(uuid.uuid5(_NAMESPACE, f"{state_key}:{i}")).upper()
    return root


def _attrs(el: Element) -> str:
    parts = [("type", el.type)]
    for key in ("name", "label", "value"):
        v = getattr(el, key)
        if v is not None:
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
    return "\n".join(lines)


def to_json(el: Element) -> dict:
    """``/source?format=json``: WDA's JSON tree shape."""
    return {
        "type": el.type[len("XCUIElementType"):],
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

"""Class chains and predicates of the reference app, on its real accessibility tree.

The chain strings are the forms facebook-wda's Selector._gen_class_chain
builds (``**/XCUIElementTypeAny[`label == 'X' AND name CONTAINS 'Y'`]`` and
``[index]``) plus hand-written ones.
"""

import pytest

from pytest_iosmem.refapp.model import App, Config
from pytest_iosmem.refapp.query import InvalidSelector, find_class_chain, find_predicate, find_xpath
from pytest_iosmem.refapp.ui import build_tree, to_xml


@pytest.fixture
def home():
    return build_tree(App(Config(noise=0)))


@pytest.fixture
def detail():
    app = App(Config(noise=0, leak_size=0))
    app.open("Map")
    return build_tree(app)


def labels(els):
    return [e.label for e in els]


@pytest.mark.parametrize(
    "chain,expected",
    [
        ("**/XCUIElementTypeAny[`label == 'Clean'`]", ["Clean"]),
        ("**/XCUIElementTypeButton[`label CONTAINS 'Cache'`]", ["Purging Cache", "Stubborn Cache"]),
        ("**/XCUIElementTypeAny[`label BEGINSWITH 'Re' AND type == 'XCUIElementTypeButton'`]", ["Retain Cycle"]),
        ("**/XCUIElementTypeAny[`name MATCHES '.*Detail.*'`]", ["Timer Detail"]),
        ("**/XCUIElementTypeButton[`label ENDSWITH[c] 'CACHE'`][2]", ["Stubborn Cache"]),
        ("**/XCUIElementTypeButton[-1]", ["Clean"]),
        ("**/XCUIElementTypeButton[`label == 'Map' OR label == 'Burst'`]", ["Burst", "Map"]),
        ("**/XCUIElementTypeButton[`NOT (label CONTAINS ' ')`]", ["Observer", "Burst", "Map", "Clean"]),
        ("XCUIElementTypeWindow/XCUIElementTypeOther/XCUIElementTypeButton[1]", ["Timer Detail"]),
        ("**/XCUIElementTypeOther/*[`label == 'Map'`]", ["Map"]),
        ("**/XCUIElementTypeAny[`label == \"it's not here\"`]", []),
        ("**/XCUIElementTypeAny[`label == 'a/b'`]", []),
        ("**/XCUIElementTypeAny[`visible == true AND enabled == true AND label LIKE 'B*'`]", ["Burst"]),
    ],
)
def test_class_chains(home, chain, expected):
    assert labels(find_class_chain(home, chain)) == expected


def test_detail_screen_tree(detail):
    assert labels(find_class_chain(detail, "**/XCUIElementTypeNavigationBar/XCUIElementTypeButton")) == ["Back"]
    assert [e.type for e in find_predicate(detail, "type == 'XCUIElementTypeMap'")] == ["XCUIElementTypeMap"]
    assert labels(find_xpath(detail, '//XCUIElementTypeButton[@label="Back"]')) == ["Back"]


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "**/XCUIElementTypeButton[`label ==`]",
        "**/XCUIElementTypeButton[`label == 'x`]",
        "**/XCUIElementTypeButton[0]",
        "**/Button",
        "**/XCUIElementTypeButton[`label === 'x'`]",
        "**/",
        "**/XCUIElementTypeButton[`(label == 'x'`]",
        "**/XCUIElementTypeAny[`name MATCHES '('`]",
    ],
)
def test_bad_chains_are_invalid_selectors(home, bad):
    with pytest.raises(InvalidSelector):
        find_class_chain(home, bad)


def test_xml_escapes_app_strings():
    app = App(Config(noise=0))
    tree = build_tree(app)
    tree.children[0].children[0].name = 'a "quoted" <name> & more'
    text = to_xml(tree)
    assert "<name>" not in text
    import xml.etree.ElementTree as ET

    root = ET.fromstring(text.split("\n", 1)[1])
    assert root.tag == "XCUIElementTypeApplication"
    assert root[0][0].get("name") == 'a "quoted" <name> & more'

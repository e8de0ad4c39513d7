"""Lookups of the reference app on its real accessibility tree.

Class chains come from facebook-wda's own selector code (``Selector`` builds
them exactly as it sends them to WebDriverAgent), so these tests follow the
client rather than a hand-written idea of it; hand-written chains cover what
WDA's parser accepts beyond that (``$descendant$`` predicates, escapes,
positions) and what it rejects.
"""

import pytest

from pytest_iosmem.refapp.model import App, Config
from pytest_iosmem.refapp.predicate import InvalidSelector, compile_predicate
from pytest_iosmem.refapp.query import InvalidArgument, find_class_chain, find_predicate, find_xpath, locate
from pytest_iosmem.refapp.ui import build_tree, to_xml

wda = pytest.importorskip("wda")

HOME_BUTTONS = ["Timer Detail", "Retain Cycle", "Observer", "Purging Cache", "Stubborn Cache", "Burst", "Map", "Photo Detail", "Clean"]


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


def wda_chain(**selector) -> str:
    """The class chain facebook-wda sends for ``session(**selector)`` (no server involved)."""
    client = wda.Client("http://127.0.0.1:9")  # never contacted: building a chain is offline
    s = wda.Selector(client, **selector)
    return "**" + "".join(s._parent_class_chains) + s._gen_class_chain()


@pytest.mark.parametrize(
    "selector,expected",
    [
        (dict(label="Clean"), ["Clean"]),
        (dict(name="Map"), ["Map"]),
        (dict(text="Burst"), ["Burst"]),
        (dict(nameContains="Cache"), ["Purging Cache", "Stubborn Cache"]),
        (dict(textContains="Detail"), ["Timer Detail", "Photo Detail"]),
        (dict(labelContains="Cycle", enabled=True), ["Retain Cycle"]),
        (dict(nameMatches="^Pur.*Cache$"), ["Purging Cache"]),
        (dict(nameMatches="Stub"), ["Stubborn Cache"]),  # facebook-wda wraps it as '.*Stub.*'
        (dict(name="Map", visible=True), ["Map"]),
        (dict(className="Button"), HOME_BUTTONS),
        (dict(className="Button", index=2), ["Retain Cycle"]),
        (dict(type="StaticText"), ["Memory Lab"]),
        (dict(className="NavigationBar"), [None]),
        (dict(value="Memory Lab"), ["Memory Lab"]),
        (dict(valueContains="Lab"), ["Memory Lab"]),
        (dict(predicate="label BEGINSWITH 'Retain' AND type == 'XCUIElementTypeButton'"), ["Retain Cycle"]),
        (dict(name="it's not here"), []),  # facebook-wda escapes the quote as \'
        (dict(nameContains="it's not here"), []),  # ... or switches to double quotes (%r)
    ],
)
def test_chains_facebook_wda_generates(home, selector, expected):
    chain = wda_chain(**selector)
    assert labels(find_class_chain(home, chain)) == expected, chain


def test_child_selectors_chain_from_their_parent(home):
    client = wda.Client("http://127.0.0.1:9")
    child = wda.Selector(client, className="Other").child(className="Button", label="Map")
    chain = "**" + "".join(child._parent_class_chains) + child._gen_class_chain()
    assert chain == "**/XCUIElementTypeOther/XCUIElementTypeButton[`label == 'Map'`]"
    assert labels(find_class_chain(home, chain)) == ["Map"]


@pytest.mark.parametrize(
    "chain,expected",
    [
        ("**/XCUIElementTypeButton[`label CONTAINS[c] 'cache'`]", ["Purging Cache", "Stubborn Cache"]),
        ("**/XCUIElementTypeButton[`label ENDSWITH[c] 'CACHE'`][2]", ["Stubborn Cache"]),
        ("**/XCUIElementTypeButton[-1]", ["Clean"]),
        ("**/XCUIElementTypeButton[`label == 'Map' OR label == 'Burst'`]", ["Burst", "Map"]),
        ("**/XCUIElementTypeButton[`label == 'Map' || label == 'Burst'`]", ["Burst", "Map"]),
        ("**/XCUIElementTypeButton[`NOT (label CONTAINS ' ')`]", ["Observer", "Burst", "Map", "Clean"]),
        ("**/XCUIElementTypeButton[`!(label CONTAINS ' ') && label != 'Map'`]", ["Observer", "Burst", "Clean"]),
        ("**/XCUIElementTypeButton[`label IN {'Map', 'Clean', 'nope'}`]", ["Map", "Clean"]),
        ("XCUIElementTypeWindow/XCUIElementTypeOther/XCUIElementTypeButton[1]", ["Timer Detail"]),
        ("XCUIElementTypeWindow/*/XCUIElementTypeButton[`label LIKE 'B*'`]", ["Burst"]),
        ("**/XCUIElementTypeOther/*[`label == 'Map'`]", ["Map"]),
        # a position picks from all matches of its segment, not per parent (WDA's query semantics)
        ("**/XCUIElementTypeAny/XCUIElementTypeButton[1]", ["Timer Detail"]),
        # an intermediate position makes that one element the root of the rest
        ("XCUIElementTypeWindow/XCUIElementTypeOther[1]/XCUIElementTypeButton[-1]", ["Clean"]),
        # $...$: elements with a descendant matching the predicate
        ("**/XCUIElementTypeOther[$label == 'Burst'$]", [None]),
        ("**/XCUIElementTypeNavigationBar[$label == 'Burst'$]", []),
        # a doubled marker is a literal one
        ("**/XCUIElementTypeAny[`label == 'a``b'`]", []),
        ("**/XCUIElementTypeAny[`label == 'a/b'`]", []),
        ("**/XCUIElementTypeAny[`visible == true AND enabled == 1 AND rect.width == 358`]", HOME_BUTTONS),
        # an XCUIElementType name WDA does not know counts as Other, as in WDA
        ("**/XCUIElementTypeFancyNewThing[`label == 'Map'`]", []),
    ],
)
def test_class_chains_wda_accepts(home, chain, expected):
    assert labels(find_class_chain(home, chain)) == expected


def test_detail_screen_tree(detail):
    assert labels(find_class_chain(detail, "**/XCUIElementTypeNavigationBar/XCUIElementTypeButton")) == ["Back"]
    assert [e.type for e in find_predicate(detail, "type == 'XCUIElementTypeMap'")] == ["XCUIElementTypeMap"]
    assert labels(find_predicate(detail, "value BEGINSWITH 'visits='")) == ["Map is open"]


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "/XCUIElementTypeButton",  # WDA's parser wants **/, a type or * first
        "**/XCUIElementTypeButton[`label ==`]",
        "**/XCUIElementTypeButton[`label == 'x`]",
        "**/XCUIElementTypeButton[`label == 'x'",
        "**/XCUIElementTypeButton[0]",
        "**/XCUIElementTypeButton[1][2]",
        "**/XCUIElementTypeButton[1][`label == 'x'`]",  # predicates come before the position
        "**/Button",  # no XCUIElementType prefix: unknown to WDA
        "**/XCUIElementTypeButton[`label === 'x'`]",
        "**/",
        "**/**/XCUIElementTypeButton",
        "XCUIElementTypeWindow/",
        "**/XCUIElementTypeButton[`(label == 'x'`]",
        "**/XCUIElementTypeAny[`name MATCHES '('`]",
        "**/XCUIElementTypeAny[`false`]",  # what facebook-wda sends for visible=False
    ],
)
def test_bad_chains_are_invalid_selectors(home, bad):
    with pytest.raises(InvalidSelector) as info:
        find_class_chain(home, bad)
    assert str(info.value)


@pytest.mark.parametrize(
    "text,attrs,expected",
    [
        ("label == 'Map'", {"label": "Map"}, True),
        ("label = \"Map\"", {"label": "Map"}, True),
        ("label != 'Map'", {"label": None}, True),  # a missing value differs from everything
        ("label CONTAINS 'a'", {"label": None}, False),
        ("label ==[cd] 'cafe'", {"label": "Café"}, True),
        ("name like[c] 'B?RST'", {"name": "burst"}, True),
        ("label matches 'M.p'", {"label": "Map"}, True),
        ("label MATCHES 'M'", {"label": "Map"}, False),  # MATCHES is a whole-string match
        ("width >= 358 and height < 50", {"width": 358, "height": 44}, True),
        ("enabled == YES", {"enabled": True}, True),
        ("enabled == NO", {"enabled": True}, False),
        ("TRUEPREDICATE", {}, True),
        ("label == 'it\\'s'", {"label": "it's"}, True),
    ],
)
def test_predicates(text, attrs, expected):
    class El:
        def attribute(self, name):
            return attrs.get(name)

    assert compile_predicate(text)(El()) is expected


def test_xpath_subset(home, detail):
    assert labels(find_xpath(detail, '//XCUIElementTypeButton[@label="Back"]')) == ["Back"]
    assert labels(find_xpath(home, "//XCUIElementTypeButton[3]")) == ["Observer"]
    assert labels(find_xpath(home, "//XCUIElementTypeButton[last()]")) == ["Clean"]
    assert labels(find_xpath(home, "/XCUIElementTypeApplication/XCUIElementTypeWindow/*/XCUIElementTypeButton[@name='Map']")) == ["Map"]
    assert [e.type for e in find_xpath(home, "//XCUIElementTypeButton[@name='Map']/..")] == ["XCUIElementTypeOther"]
    with pytest.raises(InvalidSelector, match="ElementTree subset"):
        find_xpath(home, "//XCUIElementTypeButton[contains(@label, 'Map')]")


def test_other_locator_strategies(home):
    assert labels(locate(home, "accessibility id", "Burst")) == ["Burst"]
    assert labels(locate(home, "id", "Burst")) == ["Burst"]
    assert labels(locate(home, "link text", "label=Clean")) == ["Clean"]
    assert labels(locate(home, "link text", "Clean")) == ["Clean"]  # no attribute: name, as in WDA
    assert labels(locate(home, "partial link text", "label=Cache")) == ["Purging Cache", "Stubborn Cache"]
    assert len(locate(home, "class name", "XCUIElementTypeButton")) == 9
    with pytest.raises(InvalidArgument, match="Did you mean XCUIElementTypeButton"):
        locate(home, "class name", "Button")
    with pytest.raises(InvalidArgument, match="Invalid locator requested: css selector"):
        locate(home, "css selector", "button")


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

"""The WebDriverAgent URL line in an xcodebuild log.

No raw xcodebuild log of WDA is among the recordings; the line's shape is the one
WebDriverAgent prints and public drivers match (appium-xcuitest-driver's
``/ServerURLHere->(.*)<-ServerURLHere/``), so the test lines are written here.
"""

from pytest_iosmem.parsers.xcodebuild import parse_wda_server_url


def test_last_announced_url_wins():
    log = ("Test Suite 'All tests' started\n"
           "    t =     0.00s Start Test at 2024-05-01\n"
           "2024-05-01 WebDriverAgentRunner-Runner[123:456] ServerURLHere->http://10.0.0.5:8100<-ServerURLHere\n"
           "ServerURLHere->http://127.0.0.1:8100<-ServerURLHere\n")
    assert parse_wda_server_url(log) == "http://127.0.0.1:8100"


def test_no_url_yet():
    assert parse_wda_server_url("") is None
    assert parse_wda_server_url("Testing failed:\n\tWebDriverAgentRunner encountered an error") is None

"""``iosmem heap-diff``: heap outputs, /iosmem/objects JSON files, and the live endpoint of a real app."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from pytest_iosmem.cli import main

from .cli_helpers import DATA, iosmem

HEAP = DATA / "heap_ios_sim_17_2.txt"


def objects(tmp_path, name, rows):
    path = tmp_path / name
    path.write_text(json.dumps({"value": [{"class": c, "count": n, "bytes": b} for c, n, b in rows], "sessionId": None}))
    return path


def test_two_heap_outputs_per_iteration(tmp_path):
    after = tmp_path / "after.txt"
    text = HEAP.read_text()
    row = "       1        944     944.0   ViewController"
    assert row in text
    after.write_text(text.replace(row, "       7       6608     944.0   ViewController"))
    out = iosmem("heap-diff", str(HEAP), str(after), "--iterations", "6")
    assert out.returncode == 0, out.stderr
    [line] = [x for x in out.stdout.splitlines() if x.startswith("ViewController")]
    assert line.split()[1:] == ["+1.0", "+944", "B", "1", "->", "7"]


def test_two_objects_tables_most_bytes_first_and_top(tmp_path, capsys):
    a = objects(tmp_path, "a.json", [("Leaky", 1, 1000), ("Cache", 2, 50)])
    b = objects(tmp_path, "b.json", [("Leaky", 3, 3000), ("Cache", 4, 100), ("Fresh", 1, 10)])
    assert main(["heap-diff", str(a), str(b)]) == 0
    lines = capsys.readouterr().out.splitlines()[2:]
    assert [x.split()[0] for x in lines] == ["Leaky", "Cache", "Fresh"]
    assert main(["heap-diff", str(a), str(b), "--top", "1"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3


def test_nothing_grew(tmp_path, capsys):
    a = objects(tmp_path, "a.json", [("Stable", 2, 100)])
    assert main(["heap-diff", str(a), str(a)]) == 0
    assert capsys.readouterr().out.strip() == "no class grew"


def test_a_url_is_read_live(tmp_path):
    body = json.dumps({"value": [{"class": "TimerTarget", "count": 5, "bytes": 5120}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/iosmem/objects" else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        before = objects(tmp_path, "before.json", [("TimerTarget", 1, 1024)])
        url = f"http://127.0.0.1:{server.server_port}/iosmem/objects"
        out = iosmem("heap-diff", str(before), url, "--iterations", "4")
        assert out.returncode == 0, out.stderr
        assert out.stdout.splitlines()[2].split()[:3] == ["TimerTarget", "+1.0", "+1.0"]
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    ("hello\n", "neither heap output nor /iosmem/objects JSON: cannot parse heap output"),
    ('{"value": [{"class": "X"}]}', "not an /iosmem/objects table (KeyError: 'count')"),
    ("{broken", "not an /iosmem/objects table"),
])
def test_a_missing_or_bad_file_is_exit_2_naming_it(tmp_path, content, message):
    bad = tmp_path / "bad.txt"
    if content is not None:
        bad.write_text(content)
    out = iosmem("heap-diff", str(bad), str(HEAP))
    assert out.returncode == 2
    assert f"{bad}: {message}" in out.stderr and "Traceback" not in out.stderr


def test_an_unreachable_url_is_exit_2(capsys):
    assert main(["heap-diff", "http://127.0.0.1:9/iosmem/objects", str(HEAP)]) == 2
    assert "http://127.0.0.1:9/iosmem/objects: cannot fetch" in capsys.readouterr().err


@pytest.mark.parametrize("flag", ["--iterations", "--top"])
def test_counts_below_1_are_usage_errors(flag, capsys):
    assert main(["heap-diff", str(HEAP), str(HEAP), flag, "0"]) == 2
    assert f"{flag} 0: must be at least 1" in capsys.readouterr().err

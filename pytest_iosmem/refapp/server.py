"""HTTP plumbing for the reference app: a standard-library server in front of :mod:`.routes`.

A ``ThreadingHTTPServer``: one thread per connection, so a client that
keeps a connection alive (HTTP/1.1) never blocks another one, and
``/status`` answers while a long command runs.  Commands that touch the
app still run one at a time (the app's lock), like WDA's main-thread
command handling.  Whatever arrives — no body, a body that is not JSON, a
JSON array, a wrong Content-Length — gets a WDA-shaped error, never a
crash or a dropped connection.

Only local clients, and not through a browser: a request whose ``Host`` is not
a loopback name (DNS rebinding) or that carries a foreign ``Origin`` (a web
page's cross-origin ``fetch``: a ``text/plain`` POST needs no preflight) is
refused with 403 before routing, so a page on the same machine cannot create a
session, press home or send memory warnings.
"""

from __future__ import annotations

import ipaddress
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

from .model import App
from .routes import Routes, WDAError

__all__ = ["RefAppServer", "make_server"]

MAX_BODY = 16 * 1024 * 1024  # WDA bodies are small; a bigger one is a mistake, not a command


class RefAppServer(ThreadingHTTPServer):
    """The listening server; ``routes`` answers every request."""

    daemon_threads = True  # a hanging client never keeps the app from exiting
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], routes: Routes) -> None:
        self.routes = routes
        super().__init__(address, _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        """One line on stderr instead of a traceback: a client that hung up is not the app's bug."""
        exc = sys.exc_info()[1]
        if not isinstance(exc, (BrokenPipeError, ConnectionResetError, TimeoutError)):
            print(f"refapp: error serving {client_address}: {exc!r}", file=sys.stderr)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


def is_loopback_name(host: str, own: str = "") -> bool:
    """``localhost``, a loopback address (127.0.0.0/8, ::1) or the address the server is bound to."""
    host = host.strip().lower().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if host in ("localhost", own.lower()) or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _host_of(value: str) -> str:
    """The host name of a ``Host`` header value (``name``, ``name:port``, ``[v6]:port``)."""
    try:
        return urlsplit(f"//{value.strip()}").hostname or ""
    except ValueError:
        return ""


class _Handler(BaseHTTPRequestHandler):
    server: RefAppServer
    protocol_version = "HTTP/1.1"
    server_version = "RefAppWDA/1.0"
    timeout = 60  # an idle keep-alive connection is closed after this many seconds

    def _body(self) -> dict:
        raw_length = self.headers.get("Content-Length") or "0"
        try:
            length = int(raw_length)
        except ValueError:
            raise WDAError(400, "invalid argument", f"Content-Length {raw_length!r} is not a number") from None
        if length < 0 or length > MAX_BODY:
            raise WDAError(400, "invalid argument", f"Content-Length {length} is out of range")
        raw = self.rfile.read(length) if length else b""
        if len(raw) < length:
            raise WDAError(400, "invalid argument", f"the body ended after {len(raw)} of {length} bytes")
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, ValueError) as exc:
            raise WDAError(400, "invalid argument", f"the request body is not JSON: {exc}") from None
        if not isinstance(body, dict):
            raise WDAError(400, "invalid argument", f"the request body must be a JSON object, not {type(body).__name__}")
        return body

    def _check_origin(self) -> None:
        """403 for a non-loopback ``Host`` or any ``Origin`` that is not a loopback page (see the module doc)."""
        own = str(self.server.server_address[0])
        host = self.headers.get("Host")
        if host is not None and not is_loopback_name(_host_of(host), own):
            raise WDAError(403, "invalid argument", f"Host {host!r} is not a loopback name: refused")
        origin = self.headers.get("Origin")
        if origin is not None:
            parts = urlsplit(origin.strip()) if origin.strip() != "null" else None
            if parts is None or parts.scheme not in ("http", "https") or not is_loopback_name(parts.hostname or "", own):
                raise WDAError(403, "invalid argument", f"cross-origin request from {origin!r}: refused")

    def _serve(self, method: str) -> None:
        routes = self.server.routes
        path, _, query = self.path.partition("?")
        try:
            self._check_origin()
            body = self._body()
            status, payload = routes.handle(method, unquote(path), dict(parse_qsl(query)), body)
        except WDAError as exc:
            self.close_connection = True  # the body may not have been read whole
            status, payload = exc.status, exc.payload(routes.session_id)
        except Exception as exc:  # a bug answers as WDA's "unknown error", and the app keeps running
            print(f"refapp: {method} {self.path} failed: {exc!r}", file=sys.stderr)
            status, payload = 500, WDAError(500, "unknown error", f"{type(exc).__name__}: {exc}").payload(routes.session_id)
        self._send_json(status, payload)

    def _send_json(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Requests http.server rejects before routing (a garbled request line...) get WDA's shape too."""
        self.close_connection = True
        error = "unknown command" if code in (404, 405, 501) else "invalid argument"
        text = message or self.responses.get(code, ("",))[0]
        self._send_json(code, WDAError(code, error, f"bad HTTP request: {text}").payload(self.server.routes.session_id))

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def do_DELETE(self) -> None:  # noqa: N802
        self._serve("DELETE")

    def do_PUT(self) -> None:  # noqa: N802
        self._serve("PUT")

    def log_message(self, format: str, *args) -> None:  # stdout carries the URL line only; stay quiet
        pass


def make_server(app: App, host: str = "127.0.0.1", port: int = 0) -> RefAppServer:
    """Bind (``port`` 0 picks a free one); serve with ``serve_forever`` in a thread."""
    return RefAppServer((host, port), Routes(app, host))

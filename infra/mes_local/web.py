"""The holder web app, served locally as CloudFront serves it (WEB.md "Where it lives").

`make run` builds `web/dist` and the stack serves it at http://127.0.0.1:$MES_WEB_PORT (default 8080):
- `/api/*` is forwarded to the API with the `/api` prefix removed (CloudFront's `/api/*` behaviour and
  its prefix-stripping function), method, body, headers and `Set-Cookie` untouched, so the page and
  the API share one origin and the session cookie stays `SameSite=Strict` on `Path=/api/auth`;
- any other path without a dot that is not a file is the single-page app's index.html (the viewer
  request function of the distribution);
- text is gzip-compressed when the browser accepts it (CloudFront's `Compress: true`), which is what
  `web.first_load_kb` measures;
- the same security headers as the distribution's response headers policy, with the local object
  store added to `connect-src` (the browser uploads straight to it with the presigned POST).
"""

from __future__ import annotations

import gzip
import http.client
import mimetypes
import threading
from dataclasses import dataclass
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_WEB_PORT = 8080
ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "web" / "dist"

COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml", "application/manifest+json")
# Hop-by-hop headers (RFC 9110 7.6.1) are never forwarded; Host is the API's own.
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
              "transfer-encoding", "upgrade", "host", "content-length", "accept-encoding"}


NOT_BUILT = "L’application web n’est pas encore construite : lancez `make web` (ou `make run`).".encode()


def content_security_policy(upload_origin: str) -> str:
    """The distribution's CSP (template.yaml), with the local object store as the upload origin."""
    return ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data: blob:; font-src 'self' data:; "
            f"connect-src 'self' {upload_origin}; frame-ancestors 'none'; base-uri 'self'; "
            "form-action 'self'; object-src 'none'")


def security_headers(upload_origin: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(upload_origin),
        "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
    }


@lru_cache(maxsize=512)
def _load(path: Path, mtime: float) -> tuple[bytes, bytes | None, str]:
    """A file's bytes, its gzip form when worth it, and its type (cached per modification time)."""
    body = path.read_bytes()
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if kind == "application/javascript" or path.suffix in (".js", ".mjs"):
        kind = "application/javascript"
    squeezed = gzip.compress(body, 9, mtime=0) if kind.startswith(COMPRESSIBLE) and len(body) > 256 else None
    if kind.startswith("text/") or kind in ("application/javascript", "image/svg+xml"):
        kind += "; charset=utf-8"
    return body, squeezed, kind


@dataclass(frozen=True)
class Site:
    root: Path
    api: tuple[str, int]
    headers: dict[str, str]
    access_log: bool


class WebHandler(BaseHTTPRequestHandler):
    """One request: forwarded to the API under /api, else a file of web/dist (or the app's index)."""

    protocol_version = "HTTP/1.1"
    server_version = "mes-web"
    site: Site  # set on the subclass make_web_server builds

    def _call_api(self) -> tuple[int, list[tuple[str, str]], bytes] | None:
        """The request as the API receives it behind CloudFront: no /api prefix, no hop-by-hop header."""
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        outgoing = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        connection = http.client.HTTPConnection(*self.site.api, timeout=60)
        try:
            connection.request(self.command, self.path[len("/api"):] or "/", body=body, headers=outgoing)
            answer = connection.getresponse()
            return answer.status, answer.getheaders(), answer.read()
        except OSError:
            return None
        finally:
            connection.close()

    def _forward(self) -> None:
        answer = self._call_api()
        if answer is None:
            self._send(502, b'{"code":"bad_gateway"}', "application/problem+json", {})
            return
        status, headers, payload = answer
        self.send_response(status)
        relayed = [(name, value) for name, value in headers if name.lower() not in HOP_BY_HOP]
        present = {name.lower() for name, _ in relayed}
        relayed += [(name, value) for name, value in self.site.headers.items() if name.lower() not in present]
        for name, value in relayed + [("Content-Length", str(len(payload)))]:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _file(self) -> Path | None:
        root = self.site.root
        path = urlsplit(self.path).path
        candidate = (root / path.lstrip("/")).resolve()
        if candidate.is_file() and candidate.is_relative_to(root):
            return candidate
        last = path.rsplit("/", 1)[-1]
        return root / "index.html" if "." not in last else None

    def _send(self, status: int, body: bytes, kind: str, extra: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        for name, value in {**self.site.headers, **extra}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _static(self) -> None:
        if self.command not in ("GET", "HEAD"):
            self._send(405, b"", "text/plain", {"Allow": "GET, HEAD"})
            return
        if not (self.site.root / "index.html").is_file():
            self._send(503, NOT_BUILT, "text/plain; charset=utf-8", {"Retry-After": "30"})
            return
        path = self._file()
        if path is None or not path.is_file():
            self._send(404, b"Page introuvable", "text/plain; charset=utf-8", {})
            return
        body, squeezed, kind = _load(path, path.stat().st_mtime)
        immutable = path.parent.name == "assets"
        extra = {"Cache-Control": "public, max-age=31536000, immutable" if immutable else "no-cache",
                 "Vary": "Accept-Encoding"}
        if squeezed is not None and "gzip" in (self.headers.get("Accept-Encoding") or ""):
            extra["Content-Encoding"] = "gzip"
            body = squeezed
        self._send(200, body, kind, extra)

    def _handle(self) -> None:
        if self.path == "/api" or self.path.startswith(("/api/", "/api?")):
            self._forward()
        else:
            self._static()

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _handle  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base signature
        if self.site.access_log:  # the path only: the page never puts a secret in an address (WEB.md)
            super().log_message(format, *args)


def make_web_server(host: str, port: int, api: tuple[str, int], upload_origin: str,
                    dist: Path = DIST, access_log: bool = False) -> ThreadingHTTPServer:
    site = Site(dist.resolve(), api, security_headers(upload_origin), access_log)
    handler = type("SiteHandler", (WebHandler,), {"site": site})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def start(server: ThreadingHTTPServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, name="mes-web", daemon=True)
    thread.start()
    return thread

"""The local web server (infra/mes_local/web.py) serves the page as CloudFront does (WEB.md): /api/*
forwarded with the prefix removed and the session cookie untouched, the single-page app's index for
the page addresses, gzip, the distribution's security headers, nothing outside web/dist."""

from __future__ import annotations

import gzip
import http.client
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from mes_local import web


class FakeApi(BaseHTTPRequestHandler):
    seen: list[dict[str, Any]] = []

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        FakeApi.seen.append({"method": self.command, "path": self.path, "body": body,
                             "authorization": self.headers.get("Authorization"), "cookie": self.headers.get("Cookie"),
                             "host": self.headers.get("Host")})
        payload = json.dumps({"ok": True}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Set-Cookie", "mes_session=abc; HttpOnly; Secure; SameSite=Strict; Path=/api/auth")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = _answer  # noqa: N815

    def log_message(self, *args: Any) -> None:
        pass


def _serve(server: ThreadingHTTPServer) -> None:
    threading.Thread(target=server.serve_forever, daemon=True).start()


@pytest.fixture()
def site(tmp_path: Path):
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>Mon espace santé</title>" + " " * 400, encoding="utf-8")
    (dist / "assets" / "app-1234.js").write_text("console.info('mes');" * 100, encoding="utf-8")
    (tmp_path / "secret.txt").write_text("outside", encoding="utf-8")
    api = ThreadingHTTPServer(("127.0.0.1", 0), FakeApi)
    _serve(api)
    server = web.make_web_server("127.0.0.1", 0, ("127.0.0.1", api.server_address[1]), "http://127.0.0.1:5000", dist)
    _serve(server)
    FakeApi.seen.clear()
    yield server.server_address[1]
    server.shutdown()
    api.shutdown()


def _get(port: int, path: str, method: str = "GET", body: str | None = None, headers: dict[str, str] | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    return response, response.read()


def test_api_calls_are_forwarded_without_the_prefix_with_cookie_and_authorization(site: int) -> None:
    response, body = _get(site, "/api/auth/otp?x=1", "POST", '{"otp":"123456"}',
                          {"Content-Type": "application/json", "Authorization": "Bearer t", "Cookie": "mes_session=s"})
    assert response.status == 201 and json.loads(body) == {"ok": True}
    assert response.getheader("Set-Cookie") == "mes_session=abc; HttpOnly; Secure; SameSite=Strict; Path=/api/auth"
    seen = FakeApi.seen[-1]
    assert (seen["method"], seen["path"], seen["body"]) == ("POST", "/auth/otp?x=1", '{"otp":"123456"}')
    assert seen["authorization"] == "Bearer t" and seen["cookie"] == "mes_session=s"


def test_page_addresses_get_the_app_and_files_are_compressed_with_the_security_headers(site: int) -> None:
    response, body = _get(site, "/espace/documents", headers={"Accept-Encoding": "gzip"})
    assert response.status == 200 and response.getheader("Content-Encoding") == "gzip"
    assert "Mon espace santé" in gzip.decompress(body).decode()
    assert response.getheader("Cache-Control") == "no-cache"
    csp = response.getheader("Content-Security-Policy")
    script_src = next(part for part in csp.split(";") if part.strip().startswith("script-src"))
    assert "unsafe-inline" not in script_src and "frame-ancestors 'none'" in csp
    assert "connect-src 'self' http://127.0.0.1:5000" in csp  # the presigned upload goes there
    assert response.getheader("Referrer-Policy") == "no-referrer"
    assert response.getheader("Strict-Transport-Security").startswith("max-age=31536000")
    response, body = _get(site, "/assets/app-1234.js")
    assert response.status == 200 and response.getheader("Content-Encoding") is None and body.startswith(b"console")
    assert "immutable" in response.getheader("Cache-Control")
    assert response.getheader("Content-Type").startswith("application/javascript")


def test_missing_files_and_paths_outside_dist_are_404_and_static_is_read_only(site: int) -> None:
    assert _get(site, "/assets/missing.js")[0].status == 404
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/assets/../../secret.txt"):
        response, body = _get(site, path)
        assert b"outside" not in body, path
    assert _get(site, "/index.html", "POST", "{}")[0].status == 405
    assert not [s for s in FakeApi.seen if "secret" in s["path"]]

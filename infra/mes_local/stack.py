"""The local stack, in one foreground process (`make run` = `python -m mes_local.stack`).

moto in server mode (``MES_AWS_ENDPOINT``, default http://127.0.0.1:5000), the resources of
``template.yaml`` provisioned in it, the resolved function environment stored in the SSM
parameter ``/mes-local/env`` (how the ``mes`` CLI finds table and bucket names from the endpoint
alone), demo data (``MES_DEMO=0`` to skip), then the Chalice API on
``http://127.0.0.1:$MES_API_PORT`` (default 8000), which also answers ``GET /openapi.json``.
Ctrl-C (or SIGTERM) stops everything."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

DEFAULT_ENDPOINT = "http://127.0.0.1:5000"
DEFAULT_API_PORT = 8000
DEFAULT_WEB_PORT = 8080
REGION = "eu-west-3"
STACK_NAME = "mes-local"
ENV_PARAMETER = "/mes-local/env"

# Variables that could send a local process to a real account or ignore the local endpoint.
_UNSAFE_ENV = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_ROLE_ARN",
               "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
               "AWS_CONTAINER_CREDENTIALS_FULL_URI")


def endpoint_from_env() -> str:
    return (os.environ.get("MES_AWS_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def use_local_aws(endpoint: str) -> None:
    """Fake credentials, the region, and every AWS client pointed at the local endpoint (botocore
    honours AWS_ENDPOINT_URL). Shared with the CLI: a local process never reaches a real account."""
    for name in _UNSAFE_ENV:
        os.environ.pop(name, None)
    os.environ.update({
        "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
        "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    })


def _host_port(endpoint: str) -> tuple[str, int]:
    parsed = urlparse(endpoint)
    if parsed.scheme != "http" or not parsed.hostname:
        raise SystemExit(f"MES_AWS_ENDPOINT must look like http://127.0.0.1:5000 (got {endpoint!r})")
    return parsed.hostname, parsed.port or 80


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _stop_on_signal(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _quiet_logs(verbose: bool) -> None:
    """moto's werkzeug logs one line per AWS call: only with -v."""
    if not verbose:
        for name in ("werkzeug", "botocore", "boto3", "urllib3"):
            logging.getLogger(name).setLevel(logging.WARNING)


def store_env(session: Any, env: dict[str, str]) -> None:
    session.client("ssm", region_name=REGION).put_parameter(
        Name=ENV_PARAMETER, Value=json.dumps(env, sort_keys=True), Type="String", Overwrite=True,
        Description="mes local stack: the resolved function environment (read by the mes CLI)")


def make_api_server(host: str, port: int, access_log: bool = True) -> Any:
    """Chalice's LocalDevServer for the mes app (what `chalice local` builds), plus /openapi.json.
    Without `access_log`, requests are not logged (a parent that never reads our stderr pipe
    must not block the stack)."""
    from chalice.config import Config
    from chalice.local import ChaliceRequestHandler, CustomLocalChalice, LocalChalice, LocalDevServer

    from mes_local import openapi
    from mes_local.functions import api_app

    app = api_app().app
    document = json.dumps(openapi.build(), indent=2, ensure_ascii=False).encode("utf-8")

    class Handler(ChaliceRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - BaseHTTPRequestHandler naming
            if self.path.split("?", 1)[0] == "/openapi.json":
                self._send_http_response(200, {"Content-Type": "application/json"}, document)
            else:
                self._generic_handle()

        def __getattr__(self, name: str) -> Any:
            # Any other method (TRACE, QUERY...): the app answers 405 with Allow, as API Gateway would,
            # rather than http.server's 501.
            if name.startswith("do_"):
                return self._generic_handle
            raise AttributeError(name)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base signature
            if access_log:
                super().log_message(format, *args)

        def log_error(self, format: str, *args: Any) -> None:  # noqa: A002
            super().log_message(format, *args)  # always shown

    # As chalice.local.create_local_server does: thread-local current_request for the threaded server.
    if not isinstance(app, LocalChalice):
        CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
        app.__class__ = CustomLocalChalice
    config = Config.create(chalice_stage="local", app_name="mes", lambda_timeout=30)
    return LocalDevServer(app, config, host, port, handler_cls=Handler)


def banner(api: str, endpoint: str, demo: dict[str, Any] | None, seconds: float, web: str | None = None) -> str:
    lines = [
        f"mes local stack ready in {seconds:.1f} s",
        f"  web app      {web}    (env MES_WEB_PORT; /api/* goes to the API)" if web
        else "  web app      not built yet: `make web` (or `make run`) builds web/dist",
        f"  API          {api}    (OpenAPI: {api}/openapi.json)",
        f"  fake AWS     {endpoint}    (moto; env MES_AWS_ENDPOINT)",
        "  CLI          mes --help    (population, wave, auto-create, invoke, outbox, pro-token)",
    ]
    if demo:
        lines.append(f"  demo login   {demo['login']} / {demo['password']}    "
                     f"(one-time code: mes outbox --to {demo['email']})")
    else:
        lines.append("  demo data    not loaded (MES_DEMO=0)")
    lines.append("Ctrl-C to stop.")
    return "\n".join(lines)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m mes_local.stack", description=__doc__.split("\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log every AWS call and debug lines")
    return parser.parse_args(argv)


def _busy_port(addresses: dict[str, tuple[str, int]]) -> str | None:
    """A message naming the first address already in use, if any."""
    for what, (host, port) in addresses.items():
        if not _port_free(host, port):
            return f"mes: port {host}:{port} for the {what} is already in use — is another stack running?"
    return None


def _prepare_process(endpoint: str, verbose: bool) -> None:
    """Local AWS only, quiet logs, SIGTERM/SIGHUP stop like Ctrl-C, moto's sent messages stamped."""
    use_local_aws(endpoint)
    _quiet_logs(verbose)
    signal.signal(signal.SIGTERM, _stop_on_signal)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, _stop_on_signal)
    from mes_local.outbox import stamp_send_times

    stamp_send_times()  # before any message object is created by the in-process moto server
    try:  # moto's TransactWriteItems copies whole tables: a local wave of thousands would crawl
        from mes_instrument import motofix
        motofix.apply()
    except ImportError:  # pragma: no cover - the fix is optional
        pass


def _provision(api_host: str, api_port: int, verbose: bool, web_origin: str) -> None:
    """template.yaml's resources, the function environment in this process and in SSM."""
    import boto3

    from mes_local import psc as local_psc
    from mes_local.provision import provision

    session = boto3.session.Session(region_name=REGION)
    # The Pro Santé Connect stand-in: its private key in SSM (for `mes pro-token`), its public
    # keys pinned through the template parameters, as an operator pins the provider's (BR-28).
    psc = local_psc.ensure(session.client("ssm", region_name=REGION), local_psc.local_issuer(api_port, api_host))
    result = provision(session, stack_name=STACK_NAME, region=REGION, parameters={**psc.parameters(), "WebOrigin": web_origin})
    os.environ.update(result["env"])
    if verbose:
        os.environ["POWERTOOLS_LOG_LEVEL"] = "DEBUG"
    store_env(session, result["env"])


def _load_demo() -> dict[str, Any] | None:
    if os.environ.get("MES_DEMO", "1").strip().lower() in ("0", "false", "no", "off"):
        return None
    from mes_local.demo import load_demo
    try:
        from mes.bootstrap import get_container
        return load_demo(get_container())
    except Exception:  # noqa: BLE001 - the stack stays usable; the failure is shown
        import traceback
        traceback.print_exc()
        print("mes: loading the demo data failed (see above); the stack runs without it.", file=sys.stderr)
        return None


def _start_pollers() -> list[Any]:
    """Event sources moto cannot run: S3 → SQS → document validation (issue #3), data exports (issue #5)."""
    from mes.bootstrap import get_container
    from mes_local.queues import Poller

    pollers = [Poller(get_container().client("sqs"), os.environ[variable], function)
               for variable, function in (("DOCUMENT_SCAN_QUEUE_URL", "document_scan"), ("EXPORT_QUEUE_URL", "export"))
               if os.environ.get(variable)]
    for poller in pollers:
        poller.start()
    return pollers


def _start_web(host: str, port: int, api_port: int, endpoint: str, verbose: bool) -> Any:
    """The web app at http://host:port/ (WEB.md); /api/* is forwarded even before web/dist is built."""
    from mes_local import web

    server = web.make_web_server(host, port, (host, api_port), endpoint, access_log=verbose)
    web.start(server)
    return server


@dataclass(frozen=True)
class Ports:
    endpoint: str
    aws_host: str
    aws_port: int
    host: str
    api_port: int
    web_port: int


def _run(ports: Ports, verbose: bool, started: float) -> None:
    """moto, the resources, demo data, pollers, the API and the web app; until Ctrl-C or SIGTERM."""
    from moto.server import ThreadedMotoServer

    from mes_local import web as web_app

    moto = ThreadedMotoServer(ip_address=ports.aws_host, port=ports.aws_port, verbose=False)
    moto.start()
    api_url, web_origin = f"http://{ports.host}:{ports.api_port}", f"http://{ports.host}:{ports.web_port}"
    with contextlib.ExitStack() as cleanup:  # stops, in reverse order, whatever was started
        cleanup.callback(print, "mes local stack stopped.", flush=True)
        cleanup.callback(moto.stop)
        try:
            _provision(ports.host, ports.api_port, verbose, web_origin)
            demo = _load_demo()
            for poller in _start_pollers():
                cleanup.callback(poller.stop)
            server = make_api_server(ports.host, ports.api_port, access_log=verbose or sys.stderr.isatty())
            cleanup.callback(server.server.server_close)
            web_server = _start_web(ports.host, ports.web_port, ports.api_port, ports.endpoint, verbose)
            cleanup.callback(web_server.server_close)
            cleanup.callback(web_server.shutdown)
            built = f"{web_origin}/" if (web_app.DIST / "index.html").is_file() else None
            print(banner(api_url, ports.endpoint, demo, time.monotonic() - started, built), flush=True)
            server.server.serve_forever()
        except KeyboardInterrupt:
            pass


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(line_buffering=True)
    started = time.monotonic()

    endpoint = endpoint_from_env()
    host, port = _host_port(endpoint)
    api_port = int(os.environ.get("MES_API_PORT") or DEFAULT_API_PORT)
    web_port = int(os.environ.get("MES_WEB_PORT") or DEFAULT_WEB_PORT)
    api_host = "127.0.0.1"
    busy = _busy_port({"fake AWS (MES_AWS_ENDPOINT)": (host, port), "API (MES_API_PORT)": (api_host, api_port),
                       "web app (MES_WEB_PORT)": (api_host, web_port)})
    if busy:
        print(busy, file=sys.stderr)
        return 1

    _prepare_process(endpoint, args.verbose)
    _run(Ports(endpoint, host, port, api_host, api_port, web_port), args.verbose, started)
    return 0


if __name__ == "__main__":
    sys.exit(main())

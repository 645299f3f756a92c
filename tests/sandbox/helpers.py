"""Helpers shared by the sandbox tests: request data, raw HTTP, and a webhook receiver."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REDIRECT = "https://site.example/return/abc"


def unknown_id(prefix: str) -> str:
    """A well-formed id that the sandbox can never have made: its ids have 10 characters, this 11.

    (Changing one character of a real id is not enough: the new id is the old one when the
    character was already the one put in.)
    """
    return f"{prefix}{'0' * 11}"


def amount(value: str) -> dict:
    return {"currency": "EUR", "value": value}


def payment_data(**extra) -> dict:
    data = {"amount": amount("10.00"), "description": "Gift #1", "redirectUrl": REDIRECT}
    data.update(extra)
    return data


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def raw(method: str, url: str, *, form=None, json_body=None, headers=None, data=None):
    """One HTTP request without following redirects: (status, headers, body text)."""
    headers = dict(headers or {})
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif json_body is not None:
        data = json.dumps(json_body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with _OPENER.open(request, timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read().decode()


def control(sandbox, path: str, **params):
    """POST a form to a control endpoint; returns (status, parsed JSON)."""
    status, _, body = raw("POST", sandbox.base_url + path, form=params)
    return status, json.loads(body)


class Receiver:
    """A local webhook receiver that answers 500 to the first `fail_first` calls."""

    def __init__(self, fail_first: int = 0, status: int = 500):
        self.calls: list[dict] = []
        self.fail_first = fail_first
        self.status = status
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                if self.path.startswith("/moved-"):  # /moved-307 or /moved-302: redirect
                    self.send_response(int(self.path[7:10]))
                    self.send_header("Location", outer.url)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                with outer.lock:
                    outer.calls.append(
                        {
                            "method": self.command,
                            "path": self.path,
                            "body": body,
                            "form": dict(urllib.parse.parse_qsl(body)),
                            "type": self.headers.get("Content-Type"),
                        }
                    )
                    failing = len(outer.calls) <= outer.fail_first
                self.send_response(outer.status if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self):
                self._record()

            def do_GET(self):
                self._record()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.root = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.url = f"{self.root}/mollie/webhook/"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def ids(self) -> list[str]:
        with self.lock:
            return [c["form"].get("id") for c in self.calls]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

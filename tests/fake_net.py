"""Google Drive and the Hugging Face hub, played by a real HTTP server on 127.0.0.1.

Drive is reached the way gdown reaches it, ``https://drive.google.com/...``: the server is
also an HTTPS proxy (``HTTPS_PROXY``) that answers for the Drive hosts itself with a test
certificate (``REQUESTS_CA_BUNDLE``), so gdown's own URL, confirmation-page and resume code
runs unchanged. The hub is plain HTTP at ``HF_ENDPOINT``. Plain files (``web_files``, by URL
path, such as a Zenodo record's) are served at ``url`` with the same Range support.
"""

from __future__ import annotations

import hashlib
import html
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

TLS = Path(__file__).parent / "data" / "fake_drive_tls"
SLOW_SECONDS = 2.0
HUB_COMMIT = "0123456789abcdef0123456789abcdef01234567"

QUOTA_PAGE = (
    "<html><head><title>Google Drive - Quota exceeded</title></head><body>\n"
    '<p class="uc-error-caption">Sorry, you can&#39;t view or download this file at this time.</p>\n'
    '<p class="uc-error-subcaption">Too many users have viewed or downloaded this file recently. '
    "Please try accessing the file again later.</p>\n</body></html>\n"
)


@dataclass
class Request:
    method: str
    host: str
    path: str
    headers: dict[str, str]


@dataclass
class FakeNet:
    """What the fake Drive and hub serve, and every request they saw."""

    drive_files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    quota_ids: set[str] = field(default_factory=set)
    virus_scan_ids: set[str] = field(default_factory=set)
    interrupt_once: set[str] = field(default_factory=set)
    slow_ids: set[str] = field(default_factory=set)
    folders: dict[str, tuple[str, list[str]]] = field(default_factory=dict)
    hub_repos: dict[str, dict[str, bytes]] = field(default_factory=dict)
    #: URL path -> bytes, served from 127.0.0.1 (``interrupt_once`` holds paths as well as Drive ids).
    web_files: dict[str, bytes] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)

    def start(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.net = self
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def env(self) -> dict[str, str]:
        """Environment that sends gdown (requests) and huggingface_hub here."""
        return {
            "HTTPS_PROXY": self.url,
            "https_proxy": self.url,
            "NO_PROXY": "127.0.0.1",
            "no_proxy": "127.0.0.1",
            "REQUESTS_CA_BUNDLE": str(TLS / "ca.pem"),
            "HF_ENDPOINT": self.url,
            "HF_HUB_OFFLINE": "0",
            "HF_HUB_DISABLE_TELEMETRY": "1",
        }

    def serve(self, monkeypatch, **more_env: str) -> Iterator[FakeNet]:
        """A fixture's body: start, point this test's environment at the server (online), yield it, stop.

        ``more_env`` adds variables, ``{url}`` in their values standing for :attr:`url`.
        """
        self.start()
        for key, value in {**self.env(), **more_env}.items():
            monkeypatch.setenv(key, value.format(url=self.url))
        monkeypatch.delenv("DTU_OFFLINE", raising=False)
        yield self
        self.stop()

    def seen(self, host: str, path_start: str) -> list[Request]:
        return [r for r in self.requests if r.host == host and r.path.startswith(path_start)]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ThreadingHTTPServer

    def log_message(self, *args) -> None:
        pass

    @property
    def net(self) -> FakeNet:
        return self.server.net

    def do_CONNECT(self) -> None:
        """Answer the CONNECT of the HTTPS proxy ourselves: TLS as the Drive hosts."""
        self.send_response(200, "Connection established")
        self.end_headers()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(TLS / "server.pem", TLS / "server.key")
        self.connection = context.wrap_socket(self.connection, server_side=True)
        self.rfile = self.connection.makefile("rb")
        self.wfile = self.connection.makefile("wb")
        self.close_connection = False

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.connection.close()

    def do_HEAD(self) -> None:
        self._route(head=True)

    def do_GET(self) -> None:
        self._route(head=False)

    def _route(self, head: bool) -> None:
        host = self.headers.get("Host", "").split(":")[0]
        url = urlsplit(self.path)
        self.net.requests.append(Request(self.command, host, self.path, dict(self.headers)))
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        if host == "drive.google.com" and url.path == "/uc":
            self._drive_uc(query.get("id", ""))
        elif host == "drive.usercontent.google.com" and url.path == "/download" and query.get("confirm"):
            self._drive_file(query.get("id", ""))
        elif host == "drive.google.com" and url.path == "/embeddedfolderview":
            self._drive_folder(query.get("id", ""))
        elif host == "127.0.0.1" and url.path in self.net.web_files:
            data = self.net.web_files[url.path]
            self._send_file(url.path, url.path.rsplit("/", 1)[-1], data, head)
        elif host == "127.0.0.1":
            self._hub(url.path, head)
        else:
            self._send(404, b"not found", "text/plain")

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None, head=False):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _drive_uc(self, file_id: str) -> None:
        if file_id in self.net.quota_ids:
            self._send(200, QUOTA_PAGE.encode(), "text/html; charset=utf-8")
        elif file_id in self.net.virus_scan_ids:
            name = html.escape(self.net.drive_files[file_id][0])
            page = (
                "<html><head><title>Google Drive - Virus scan warning</title></head><body>\n"
                f"<p>Google Drive can't scan {name} for viruses.</p>\n"
                '<form id="download-form" action="https://drive.usercontent.google.com/download" method="get">'
                f'<input type="hidden" name="id" value="{file_id}"><input type="hidden" name="export" value="download">'
                '<input type="hidden" name="confirm" value="t"><input type="hidden" name="uuid" value="42"></form>\n'
                "</body></html>\n"
            )
            self._send(200, page.encode(), "text/html; charset=utf-8")
        else:
            self._drive_file(file_id)

    def _drive_file(self, file_id: str) -> None:
        if file_id not in self.net.drive_files:
            self._send(404, b"<html><body>Not Found</body></html>", "text/html")
            return
        name, data = self.net.drive_files[file_id]
        self._send_file(file_id, name, data)

    def _send_file(self, key: str, name: str, data: bytes, head: bool = False) -> None:
        """Send ``data`` with Range support; ``key`` in ``interrupt_once`` drops the connection half-way once."""
        headers = {
            "Content-Disposition": f'attachment; filename="{name}"',
            "ETag": f'"{hashlib.sha256(data).hexdigest()[:16]}"',
            "Accept-Ranges": "bytes",
        }
        start = 0
        if self.headers.get("Range", "").startswith("bytes="):
            start = int(self.headers["Range"][6:].split("-")[0])
        if start:
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
            self._send(206, data[start:], "application/octet-stream", headers, head=head)
            return
        if key in self.net.interrupt_once:
            self.net.interrupt_once.discard(key)
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(data)))
            for header, value in headers.items():
                self.send_header(header, value)
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if key in self.net.slow_ids:
            time.sleep(SLOW_SECONDS)
        self._send(200, data, "application/octet-stream", headers, head=head)

    def _drive_folder(self, folder_id: str) -> None:
        if folder_id not in self.net.folders:
            self._send(404, b"<html><body>Not Found</body></html>", "text/html")
            return
        title, file_ids = self.net.folders[folder_id]
        links = "".join(
            f'<div><a href="https://drive.google.com/file/d/{fid}/view?usp=drive_web">'
            f"{html.escape(self.net.drive_files[fid][0])}</a></div>\n"
            for fid in file_ids
        )
        page = f"<html><head><title>{html.escape(title)}</title></head><body>\n{links}</body></html>\n"
        self._send(200, page.encode(), "text/html; charset=utf-8")

    def _hub(self, path: str, head: bool) -> None:
        for repo, files in self.net.hub_repos.items():
            if path.startswith(f"/api/models/{repo}/revision/"):
                info = {"id": repo, "sha": HUB_COMMIT, "siblings": [{"rfilename": name} for name in files]}
                self._send(200, json.dumps(info).encode(), "application/json", head=head)
                return
            if path.startswith(f"/api/models/{repo}/tree/"):
                tree = [
                    {"type": "file", "path": name, "size": len(data), "oid": hashlib.sha1(data).hexdigest()}
                    for name, data in files.items()
                ]
                self._send(200, json.dumps(tree).encode(), "application/json", head=head)
                return
            prefix = f"/{repo}/resolve/"
            if path.startswith(prefix):
                name = path[len(prefix) :].split("/", 1)[1]
                if name not in files:
                    self._send(404, b"Entry not found", "text/plain", {"X-Error-Code": "EntryNotFound"}, head=head)
                    return
                data = files[name]
                headers = {"X-Repo-Commit": HUB_COMMIT, "ETag": f'"{hashlib.sha1(data).hexdigest()}"'}
                self._send(200, data, "application/octet-stream", headers, head=head)
                return
        self._send(404, b"Repository not found", "text/plain", {"X-Error-Code": "RepoNotFound"}, head=head)

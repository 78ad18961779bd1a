"""A local web site for the web tests: a stdlib HTTP server on 127.0.0.1 in a thread,
serving what each test puts at each path, and recording every request."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: str = ""  # answered 304 when the request's If-None-Match matches
    delay: float = 0.0  # seconds before the answer: a slow server
    gzip: bool = False  # sent compressed, Content-Encoding: gzip
    stream: int = 0  # send this many bytes of filler without a Content-Length
    drip: float = 0.0  # seconds between bytes of the body: a server that trickles


@dataclass
class Request:
    path: str
    headers: dict[str, str]


Route = Reply | Callable[[Request], Reply]


class Site:
    """`site.put(path, Reply(...))`, `site.url(path)`, `site.hits(path)`."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {
            "/robots.txt": Reply(b"User-agent: *\nAllow: /\n", content_type="text/plain")
        }
        self.requests: list[Request] = []
        self.in_flight = self.most_in_flight = 0  # requests being answered at once
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                request = Request(self.path, {k.lower(): v for k, v in self.headers.items()})
                site.requests.append(request)
                with site._lock:
                    site.in_flight += 1
                    site.most_in_flight = max(site.most_in_flight, site.in_flight)
                route = site.routes.get(self.path.split("?")[0])
                reply = route(request) if callable(route) else route
                if reply is None:
                    reply = Reply(b"<html><body>Not found</body></html>", 404)
                site.answer(self, request, reply)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def _answered(self) -> None:
        """Counted before the body goes out: a client may send its next request as soon
        as the body is in, before this thread would get to count the end."""
        with self._lock:
            self.in_flight -= 1

    def answer(self, h: BaseHTTPRequestHandler, request: Request, reply: Reply) -> None:
        if reply.delay:
            time.sleep(reply.delay)
        self._answered()
        if reply.etag and request.headers.get("if-none-match") == reply.etag:
            h.send_response(304)
            h.send_header("ETag", reply.etag)
            h.end_headers()
            return
        body = gzip.compress(reply.body) if reply.gzip else reply.body
        h.send_response(reply.status)
        h.send_header("Content-Type", reply.content_type)
        if reply.etag:
            h.send_header("ETag", reply.etag)
        if reply.gzip:
            h.send_header("Content-Encoding", "gzip")
        for k, v in reply.headers.items():
            h.send_header(k, v)
        if not reply.stream:
            h.send_header("Content-Length", str(len(body)))
        h.send_header("Date", formatdate(usegmt=True))
        h.end_headers()
        try:
            if reply.drip:
                for i in range(len(body)):
                    h.wfile.write(body[i : i + 1])
                    h.wfile.flush()
                    time.sleep(reply.drip)
                return
            h.wfile.write(body)
            chunk = b"<p>" + b"x" * 1_000_000 + b"</p>\n"
            for _ in range(reply.stream // len(chunk)):
                h.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading: what the size cap is for

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def put(self, path: str, route: Route) -> str:
        self.routes[path] = route
        return self.url(path)

    def hits(self, path: str) -> int:
        return sum(1 for r in self.requests if r.path == path)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

"""Real targets on loopback for the automated-inspection tests: an HTTP server whose answers a
test can switch (a target that goes down and comes back), a TCP port that accepts, and a port
that refuses. Threads of the test process, reachable from worker processes too."""

import json
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HEALTH = {"status": "UP", "motto": "平安"}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.server.hits[self.path] += 1
        time.sleep(self.server.delays.get(self.path, 0))
        once = self.server.once.get(self.path)
        status = (
            once.pop(0)
            if once
            else self.server.statuses.get(self.path, 500 if self.path == "/error" else 200)
        )
        body = json.dumps({**HEALTH, "status": "UP" if status < 400 else "DOWN"}, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Web:
    """``/error`` answers 500, any other path 200 with a JSON health page, unless ``answer(path,
    status)`` said otherwise; ``hits`` counts the requests by path."""

    def __init__(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.statuses = {}
        self.server.once = {}
        self.server.delays = {}
        self.server.hits = self.hits = Counter()
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def answer(self, path: str, status: int) -> None:
        self.server.statuses[path] = status

    def answer_after(self, path: str, seconds: float) -> None:
        """Requests for ``path`` are answered that many seconds late (a slow target)."""
        self.server.delays[path] = seconds

    def answer_once(self, path: str, *statuses: int) -> None:
        """The next requests for ``path`` get these statuses, one each; then the usual answer."""
        self.server.once[path] = list(statuses)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Acceptor:
    """A TCP port that accepts every connection and closes it at once."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=1024)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                connection, _address = self.listener.accept()
            except OSError:
                return
            connection.close()

    def close(self):
        self.listener.close()


def refused_port() -> int:
    """A port that was free a moment ago and that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]

"""A stand-in Overpass API on 127.0.0.1, serving responses built from a real OSM extract.

It answers osmnx's two calls: ``/status`` (a free slot) and ``/interpreter`` with a query of the
form ``[out:json]...;(way<filters>(poly:'lat lon ...');>;);out;``. It evaluates the way filters
(``["k"]``, ``["k"~"re"]``, ``["k"!~"re"]``) like Overpass, selects matching ways with a node in
the polygon, and returns them with all their nodes (the ``>`` recursion) as Overpass JSON.

Failures real servers send can be queued: ``stub.failures`` holds answers (see :data:`FAILURES`)
given, one per interpreter request, before the real ones resume.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import osmium
import shapely

_CLAUSE = re.compile(r'\["([^"]+)"(?:(!?~)"([^"]*)")?\]')


def _passes(tags: dict[str, str], clauses: list[tuple[str, str | None, str | None]]) -> bool:
    for key, op, rx in clauses:
        val = tags.get(key)
        if op is None and val is None:
            return False
        if op == "~" and (val is None or not re.search(rx or "", val)):
            return False
        if op == "!~" and val is not None and re.search(rx or "", val):
            return False
    return True


class Extract:
    """Ways (with tags) and node locations of an OSM file."""

    def __init__(self, path: str) -> None:
        self.nodes: dict[int, tuple[float, float]] = {}
        self.ways: list[tuple[int, list[int], dict[str, str]]] = []
        for obj in osmium.FileProcessor(path):
            if obj.is_node() and obj.location.valid():
                self.nodes[obj.id] = (obj.location.lon, obj.location.lat)
            elif obj.is_way():
                self.ways.append((obj.id, [n.ref for n in obj.nodes],
                                  {t.k: t.v for t in obj.tags}))

    def query(self, ql: str) -> dict:
        m = re.search(r"way(.*?)\(poly:['\"]([^'\"]+)['\"]\)", ql)
        if not m:
            return {"elements": []}
        clauses = [(k, op or None, rx) for k, op, rx in _CLAUSE.findall(m.group(1))]
        nums = [float(x) for x in m.group(2).split()]
        poly = shapely.Polygon(list(zip(nums[1::2], nums[0::2], strict=True)))
        shapely.prepare(poly)
        elements, node_ids = [], set()
        for wid, refs, tags in self.ways:
            if not _passes(tags, clauses):
                continue
            pts = [self.nodes[r] for r in refs if r in self.nodes]
            if not pts or not any(poly.contains(shapely.Point(p)) for p in pts):
                continue
            elements.append({"type": "way", "id": wid, "nodes": refs, "tags": tags})
            node_ids.update(r for r in refs if r in self.nodes)
        for nid in sorted(node_ids):
            lon, lat = self.nodes[nid]
            elements.insert(0, {"type": "node", "id": nid, "lat": lat, "lon": lon})
        return {"version": 0.6, "generator": "atlas overpass stub", "elements": elements}


#: Answers of a failing Overpass server: (HTTP status, content type, body).
FAILURES: dict[str, tuple[int, str, str]] = {
    "429": (429, "text/html", "<html><body><h1>429 Too Many Requests</h1></body></html>"),
    "504": (504, "text/html", "<html><body><h1>504 Gateway Timeout</h1></body></html>"),
    "remark": (200, "application/json", json.dumps({
        "version": 0.6, "generator": "Overpass API", "elements": [],
        "remark": 'runtime error: Query timed out in "query" at line 1 after 26 seconds.'})),
    "remark_partial": (200, "application/json", json.dumps({
        "version": 0.6, "generator": "Overpass API",
        "elements": [{"type": "node", "id": 1, "lat": 43.73, "lon": 7.42}],
        "remark": "runtime error: Query run out of memory using about 2048 MB of RAM."})),
    "empty": (200, "application/json", json.dumps({"version": 0.6, "generator": "Overpass API",
                                                   "elements": []})),
    "html200": (200, "text/html", "<html><body>Please log in to the network</body></html>"),
}


class StubOverpass:
    """Run the stand-in server in a thread: ``with StubOverpass(path) as s: s.url``."""

    def __init__(self, path: str) -> None:
        self.extract = Extract(path)
        self.hits = 0
        self.failures: list[str] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return None

            def _reply(self, body: bytes, ctype: str, status: int = 200) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _interpret(self, query: str) -> None:
                stub.hits += 1
                if stub.failures:
                    status, ctype, body = FAILURES[stub.failures.pop(0)]
                    self._reply(body.encode(), ctype, status)
                    return
                data = parse_qs(query).get("data", [""])[0]
                self._reply(json.dumps(stub.extract.query(data)).encode(), "application/json")

            def do_GET(self) -> None:
                url = urlparse(self.path)
                if url.path.endswith("/status"):
                    text = ("Connected as: 1\nCurrent time: 2026-01-01T00:00:00Z\n"
                            "Announced endpoint: none\nRate limit: 2\n2 slots available now.\n")
                    self._reply(text.encode(), "text/plain")
                elif url.path.endswith("/interpreter"):
                    self._interpret(url.query)
                else:
                    self.send_error(404)

            def do_POST(self) -> None:
                n = int(self.headers.get("Content-Length", 0))
                self._interpret(self.rfile.read(n).decode())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api"

    def __enter__(self) -> StubOverpass:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

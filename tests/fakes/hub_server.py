"""A loopback server speaking the subset of the Hugging Face hub's HTTP API that
huggingface_hub uses to download a model revision, so that the real client runs unmodified
against it (HF_ENDPOINT=http://127.0.0.1:PORT).

Repos are folders of branches: {repo_id: {branch: {path: bytes}}}; a branch's commit is a hash
of its name and files. Weight files (*.safetensors, *.bin) are listed as LFS files with their
sha256, as on the hub.

Faults can be injected into file downloads (GET …/resolve/…): {file name: ["503", "drop", …]}
is consumed one fault per GET of that file, in order; "503" answers Service Unavailable,
"drop" sends half of the file and closes the connection.

The hub counts the body bytes it serves per file (`served`, by repo/path), and `bandwidth`
(bytes per second, shared by all transfers) throttles file downloads, as a real link would.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlparse

Files = Mapping[str, bytes]


LFS_PATTERNS = (".safetensors", ".bin")


def commit_of(branch: str, files: Files) -> str:
    digest = hashlib.sha1(branch.encode())
    for path in sorted(files):
        digest.update(path.encode() + b"\0" + hashlib.sha256(files[path]).digest())
    return digest.hexdigest()


def folder_files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def git_blob_id(body: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(body) + body).hexdigest()


def tree_entry(path: str, body: bytes) -> dict:
    entry = {"type": "file", "path": path, "size": len(body), "oid": git_blob_id(body)}
    if path.endswith(LFS_PATTERNS):
        entry["lfs"] = {"oid": hashlib.sha256(body).hexdigest(), "size": len(body), "pointerSize": 134}
    return entry


CHUNK = 64 * 1024  # bytes written at a time


class Hub:
    def __init__(
        self,
        repos: Mapping[str, Mapping[str, Files]],
        faults: Mapping[str, Sequence[str]] | None = None,
        bandwidth: float | None = None,
    ):
        self.repos = repos
        self.commits = {repo: {b: commit_of(b, f) for b, f in branches.items()} for repo, branches in repos.items()}
        self.faults = {name: deque(kinds) for name, kinds in (faults or {}).items()}
        self.requests: list[str] = []
        self.authorizations: list[str | None] = []
        self.served: Counter[str] = Counter()  # body bytes sent per "repo/path" of a file download
        self.bandwidth = bandwidth
        self.lock = threading.Lock()
        self._link_free_at = time.monotonic()  # the shared link: when its queued bytes are through

    def transmit(self, write, body: bytes, name: str) -> None:
        """Write `body` in chunks, counting what is sent, at `bandwidth` bytes/s over all transfers."""
        for start in range(0, len(body), CHUNK):
            chunk = body[start : start + CHUNK]
            if self.bandwidth:
                with self.lock:
                    self._link_free_at = max(self._link_free_at, time.monotonic()) + len(chunk) / self.bandwidth
                    wait = self._link_free_at - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
            write(chunk)
            with self.lock:
                self.served[name] += len(chunk)

    def resolve(self, repo: str, revision: str) -> tuple[str, Files] | None:
        """(commit, files) of a branch name or commit of `repo`."""
        commits = self.commits.get(repo, {})
        for branch, commit in commits.items():
            if revision in (branch, commit):
                return commit, self.repos[repo][branch]
        return None

    def next_fault(self, path: str) -> str | None:
        with self.lock:
            queue = self.faults.get(path.rsplit("/", 1)[-1])
            return queue.popleft() if queue else None


def _handler(hub: Hub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # keep test output clean
            pass

        def _send(self, status: int, body: bytes = b"", headers: Mapping[str, str] | None = None) -> None:
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _json(self, payload: object) -> None:
            self._send(200, json.dumps(payload).encode(), {"Content-Type": "application/json"})

        def _error(self, code: str, message: str) -> None:
            self._send(404, json.dumps({"error": message}).encode(),
                       {"Content-Type": "application/json", "X-Error-Code": code, "X-Error-Message": message})

        def do_HEAD(self) -> None:
            self.do_GET()

        def do_GET(self) -> None:
            hub.requests.append(f"{self.command} {self.path}")
            hub.authorizations.append(self.headers.get("Authorization"))
            parts = [unquote(p) for p in urlparse(self.path).path.strip("/").split("/")]
            if parts[:2] == ["api", "models"] and len(parts) >= 5:
                repo, kind, rest = "/".join(parts[2:4]), parts[4], parts[5:]
                if repo not in hub.repos:
                    return self._error("RepoNotFound", f"Repository {repo} not found")
                if kind == "refs":
                    return self._json({"branches": [{"name": b, "ref": f"refs/heads/{b}", "targetCommit": c}
                                                     for b, c in hub.commits[repo].items()],
                                       "tags": [], "converts": []})
                revision = "/".join(rest)
                if kind == "tree" and rest:
                    revision = rest[0]
                found = hub.resolve(repo, revision)
                if found is None:
                    return self._error("RevisionNotFound", f"Invalid rev id: {revision}")
                commit, files = found
                if kind == "revision":
                    return self._json({"id": repo, "modelId": repo, "sha": commit,
                                       "siblings": [{"rfilename": p} for p in sorted(files)]})
                if kind == "tree":
                    return self._json([tree_entry(p, files[p]) for p in sorted(files)])
            if len(parts) >= 5 and parts[2] == "resolve":
                repo, revision, path = "/".join(parts[:2]), parts[3], "/".join(parts[4:])
                found = hub.resolve(repo, revision)
                if found is None:
                    return self._error("RevisionNotFound", f"Invalid rev id: {revision}")
                commit, files = found
                if path not in files:
                    return self._error("EntryNotFound", f"{path} does not exist at {revision}")
                body = files[path]
                headers = {"X-Repo-Commit": commit, "ETag": f'"{hashlib.sha256(body).hexdigest()}"',
                           "Accept-Ranges": "bytes", "Content-Type": "application/octet-stream"}
                fault = hub.next_fault(path) if self.command == "GET" else None
                if fault == "503":
                    return self._send(503, b"Service Unavailable", {"Content-Type": "text/plain"})
                name = f"{repo}/{path}"
                if fault == "drop":
                    return self._drop(body, headers, name)
                start = self._range_start()
                if start:
                    headers["Content-Range"] = f"bytes {start}-{len(body) - 1}/{len(body)}"
                    return self._send_file(206, body[start:], headers, name)
                return self._send_file(200, body, headers, name)
            self._error("EntryNotFound", f"no route for {self.path}")

        def _send_file(self, status: int, body: bytes, headers: Mapping[str, str], name: str) -> None:
            if self.command == "HEAD":
                return self._send(status, body, headers)
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            hub.transmit(self.wfile.write, body, name)

        def _drop(self, body: bytes, headers: Mapping[str, str], name: str) -> None:
            """Announce the whole file, send half of it, close the connection."""
            self.send_response(200)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            hub.transmit(self.wfile.write, body[: len(body) // 2], name)
            self.wfile.flush()
            self.close_connection = True

        def _range_start(self) -> int:
            header = self.headers.get("Range", "")
            if header.startswith("bytes=") and header.endswith("-"):
                return int(header[len("bytes="):-1])
            return 0

    return Handler


@contextmanager
def serve(
    repos: Mapping[str, Mapping[str, Files]],
    faults: Mapping[str, Sequence[str]] | None = None,
    bandwidth: float | None = None,
) -> Iterator[tuple[str, Hub]]:
    """Serve `repos` on a free loopback port; yield the endpoint URL and the hub (its request log
    and bytes served). `bandwidth`: bytes/s shared by all file downloads (None: unthrottled)."""
    hub = Hub(repos, faults, bandwidth)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(hub))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hub
    finally:
        server.shutdown()
        server.server_close()

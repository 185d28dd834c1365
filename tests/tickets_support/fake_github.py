"""A local stand-in for the GitHub REST API on 127.0.0.1 (T7 tests): same endpoint, same JSON."""

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WEBHOOK_SECRET = "segredo-do-webhook"


def signature(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    """The X-Hub-Signature-256 GitHub sends with a webhook body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class FakeGitHub:
    """Answers POST (create) and GET (list, newest first) on /repos/{owner}/{repo}/issues.
    `mode`: ok, down, rate_limited, unauthorized, or lost_response (creates the issue, then
    answers 502 as if the response got lost on the way)."""

    def __init__(self):
        self.mode = "ok"
        self.requests = []
        self.issues = []
        self.next_number = 41
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                fake.requests.append({"method": "GET", "path": self.path})
                if not self._refused():
                    self._send(200, list(reversed(fake.issues)))

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append(
                    {
                        "method": "POST",
                        "path": self.path,
                        "headers": dict(self.headers),
                        "json": body,
                    }
                )
                if self._refused():
                    return
                fake.next_number += 1
                number = fake.next_number
                issue = {
                    "number": number,
                    "state": "open",
                    "title": body.get("title"),
                    "body": body.get("body"),
                    "html_url": f"https://github.com/webplanet/g3stor/issues/{number}",
                }
                fake.issues.append(issue)
                if fake.mode == "lost_response":
                    return self._send(502, {"message": "Bad Gateway"})
                return self._send(201, issue)

            def _refused(self) -> bool:
                """Answers the error GitHub would, if any (mode, credentials, repository)."""
                owner_repo = self.path.split("?")[0].removeprefix("/repos/").removesuffix("/issues")
                if fake.mode == "down":
                    self._send(503, {"message": "Service Unavailable"})
                elif fake.mode == "rate_limited":
                    self._send(
                        403,
                        {"message": "API rate limit exceeded"},
                        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1999999999"},
                    )
                elif fake.mode == "unauthorized" or self.headers.get("Authorization") != (
                    "Bearer test-token"
                ):
                    self._send(401, {"message": "Bad credentials"})
                elif not self.path.split("?")[0].endswith("/issues") or (
                    owner_repo != "webplanet/g3stor"
                ):
                    self._send(404, {"message": "Not Found"})
                else:
                    return False
                return True

            def _send(self, status, payload, headers=None):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

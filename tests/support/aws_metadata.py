"""AWS credential endpoints on 127.0.0.1, written from AWS's documented protocols.

One threaded HTTP server answers three protocols, each on its own path:

* **EC2 instance metadata, IMDSv2** (``/latest/...``): ``PUT /latest/api/token`` with
  ``x-aws-ec2-metadata-token-ttl-seconds`` (1-21600) gives a session token; ``GET
  /latest/meta-data/iam/security-credentials/`` (the role name) and ``.../<role>`` (the JSON
  document) need it in ``x-aws-ec2-metadata-token`` and answer 401 without it. Point
  ``AWS_EC2_METADATA_SERVICE_ENDPOINT`` at :attr:`AwsMetadataServer.url`.
* **Container credentials** (``/container/credentials``): the ECS / EKS Pod Identity JSON
  document, only with ``Authorization: <container_token>``. Point
  ``AWS_CONTAINER_CREDENTIALS_FULL_URI`` at :attr:`AwsMetadataServer.container_url`.
* **IAM Identity Center portal** (``/federation/credentials``): GetRoleCredentials, only with
  ``x-amz-sso_bearer_token: <sso_token>``; ``roleCredentials`` with an epoch-milliseconds
  ``expiration``. Point ``AWS_ENDPOINT_URL_SSO`` at :attr:`AwsMetadataServer.url`.

Every credential document comes from ``issue()`` (random keys by default; the moto fixture
issues real STS credentials) and expires ``lifetime`` seconds after it is handed out, so
refreshes happen for real. The server counts token and credential requests and how many
credential requests were in flight at once.
"""

from __future__ import annotations

import datetime
import json
import secrets
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

ROLE = "storagekit-test-role"
Issued = tuple[str, str, str]
"""(access key id, secret access key, session token)."""


def random_credentials() -> Issued:
    return f"ASIA{secrets.token_hex(8).upper()}", secrets.token_urlsafe(30), secrets.token_urlsafe(60)


class AwsMetadataServer:
    """The three endpoints; use as a context manager."""

    def __init__(
        self, issue: Callable[[], Issued] = random_credentials, lifetime: float = 3600.0, delay: float = 0.0,
    ) -> None:
        self.issue = issue
        self.lifetime = lifetime
        self.delay = delay
        """Seconds each credential answer takes (so that overlapping refreshes would show)."""
        self.container_token = secrets.token_urlsafe(24)
        self.sso_token = secrets.token_urlsafe(24)
        self.sso_account, self.sso_role = "111122223333", "SsoReadWrite"
        self.token_requests = 0
        self.credential_requests = 0
        self.issued_at: list[float] = []
        self.max_in_flight = 0
        self._in_flight = 0
        self._tokens: dict[str, float] = {}
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_PUT(self) -> None:
                server._put(self)

            def do_GET(self) -> None:
                server._get(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.container_url = f"{self.url}/container/credentials"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> AwsMetadataServer:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()

    # ------------------------------------------------------------------ protocol

    def _put(self, handler: BaseHTTPRequestHandler) -> None:
        if handler.path != "/latest/api/token":
            return _answer(handler, 404, b"")
        ttl = handler.headers.get("x-aws-ec2-metadata-token-ttl-seconds", "")
        if not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            return _answer(handler, 400, b"")
        token = secrets.token_urlsafe(32)
        with self._lock:
            self.token_requests += 1
            self._tokens[token] = time.monotonic() + int(ttl)
        return _answer(handler, 200, token.encode(), "text/plain")

    def _get(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        if parts.path.startswith("/latest/"):
            expires = self._tokens.get(handler.headers.get("x-aws-ec2-metadata-token", ""))
            if expires is None or expires < time.monotonic():
                return _answer(handler, 401, b"")
            if parts.path == "/latest/meta-data/iam/security-credentials/":
                return _answer(handler, 200, ROLE.encode(), "text/plain")
            if parts.path == f"/latest/meta-data/iam/security-credentials/{ROLE}":
                return self._credentials(handler, lambda document: {"Code": "Success", "Type": "AWS-HMAC",
                                                                    **document})
        elif parts.path == "/container/credentials":
            if handler.headers.get("Authorization") != self.container_token:
                return _answer(handler, 403, b'{"message": "bad authorization token"}')
            return self._credentials(handler, lambda document: document)
        elif parts.path == "/federation/credentials":
            query = parse_qs(parts.query)
            if handler.headers.get("x-amz-sso_bearer_token") != self.sso_token:
                return _answer(handler, 401, b'{"message": "Session token not found or invalid"}')
            if query.get("account_id") != [self.sso_account] or query.get("role_name") != [self.sso_role]:
                return _answer(handler, 403, b'{"message": "No access"}')
            return self._credentials(handler, _sso_form)
        return _answer(handler, 404, b"")

    def _credentials(self, handler: BaseHTTPRequestHandler, shape: Callable[[dict[str, str]], object]) -> None:
        with self._lock:
            self.credential_requests += 1
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            if self.delay:
                time.sleep(self.delay)
            key, secret, token = self.issue()
            now = datetime.datetime.now(datetime.timezone.utc)
            expiration = now + datetime.timedelta(seconds=self.lifetime)
            document = {"AccessKeyId": key, "SecretAccessKey": secret, "Token": token,
                        "Expiration": expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "LastUpdated": now.strftime("%Y-%m-%dT%H:%M:%SZ")}
            with self._lock:
                self.issued_at.append(time.monotonic())
        finally:
            with self._lock:
                self._in_flight -= 1
        _answer(handler, 200, json.dumps(shape(document)).encode(), "application/json")


def _sso_form(document: dict[str, str]) -> dict[str, object]:
    """The portal's GetRoleCredentials answer for the same credentials."""
    expiration = datetime.datetime.strptime(document["Expiration"], "%Y-%m-%dT%H:%M:%SZ")
    millis = int(expiration.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)
    return {"roleCredentials": {"accessKeyId": document["AccessKeyId"], "secretAccessKey": document["SecretAccessKey"],
                                "sessionToken": document["Token"], "expiration": millis}}


def _answer(handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str = "application/json") -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


__all__ = ["ROLE", "AwsMetadataServer", "random_credentials"]

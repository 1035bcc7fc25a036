"""A local OAuth 2.0 token service for Google service-account credentials (the JWT-bearer grant).

It checks each grant's signature against the key's public half, its audience and scope, and
issues access tokens named ``<prefix><n>``, or refuses them (``refuse = True``) as Google does a
revoked key. Point a key file's ``token_uri`` at :attr:`TokenService.uri`.

Usage::

    with TokenService.for_key(info) as tokens:
        driver = GCS(credentials={**info, "token_uri": tokens.uri})
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs

import google.auth.jwt
from cryptography.hazmat.primitives import serialization

from storagekit.drivers.google_storage._auth import SCOPES


class TokenService:
    """A local OAuth token endpoint that checks the JWT grant's signature and audience."""

    def __init__(self, public_pem: bytes, prefix: str = "tok-") -> None:
        self.public_pem = public_pem
        self.prefix = prefix
        self.issued = 0
        self.refuse = False
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
                claims = google.auth.jwt.decode(form["assertion"][0], certs=service.public_pem,
                                                audience="https://oauth2.googleapis.com/token")
                assert form["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
                assert claims["scope"] == " ".join(SCOPES)
                if service.refuse:
                    status, body = 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
                else:
                    service.issued += 1
                    status, body = 200, {"access_token": f"{service.prefix}{service.issued}", "expires_in": 3600,
                                         "token_type": "Bearer"}
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.uri = f"http://127.0.0.1:{self.server.server_port}/token"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @classmethod
    def for_key(cls, info: dict[str, Any], prefix: str = "tok-") -> TokenService:
        """A token service that accepts grants signed with ``info``'s private key."""
        key = serialization.load_pem_private_key(info["private_key"].encode(), password=None)
        return cls(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo), prefix)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> TokenService:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

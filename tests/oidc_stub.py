"""A stand-in OpenID Connect provider on 127.0.0.1, for browser tests of ``st.login``.

It does what a bureau's identity provider does in the authorization-code flow, for one user the
test names: discovery document, ``/authorize`` (redirects straight back with a code, as a
provider does once its user has signed in), ``/token`` (checks the client's secret and the code,
answers with an RS256-signed ID token carrying the nonce) and the signing keys (``/jwks``).
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID = "ningbo-atlas-test"
CLIENT_SECRET = "stand-in-client-secret"


class Provider:
    """State of the stand-in provider: its key, the user who signs in next, issued codes."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.key = RSAKey.generate_key(2048, parameters={"kid": "stub-1", "use": "sig", "alg": "RS256"})
        self.user: dict[str, Any] = {}
        self.codes: dict[str, dict[str, Any]] = {}
        self.token_requests = 0

    def metadata(self) -> dict[str, Any]:
        return {"issuer": self.base, "authorization_endpoint": f"{self.base}/authorize",
                "token_endpoint": f"{self.base}/token", "jwks_uri": f"{self.base}/jwks",
                "response_types_supported": ["code"], "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"]}

    def id_token(self, nonce: str | None) -> str:
        now = int(time.time())
        claims = {"iss": self.base, "aud": CLIENT_ID, "iat": now, "exp": now + 600, **self.user}
        if nonce:
            claims["nonce"] = nonce
        return jwt.encode({"alg": "RS256", "kid": "stub-1"}, claims, self.key)


def _handler(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _json(self, data: Any, status: int = 200) -> None:
            body = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            url = urlparse(self.path)
            q = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/.well-known/openid-configuration":
                self._json(provider.metadata())
            elif url.path == "/jwks":
                self._json({"keys": [provider.key.as_dict(private=False)]})
            elif url.path == "/authorize" and q.get("client_id") == CLIENT_ID:
                code = secrets.token_urlsafe(16)
                provider.codes[code] = {"nonce": q.get("nonce"), "redirect_uri": q["redirect_uri"]}
                self.send_response(302)
                back = urlencode({"code": code, "state": q["state"]})
                self.send_header("Location", f"{q['redirect_uri']}?{back}")
                self.end_headers()
            else:
                self._json({"error": "not_found"}, 404)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            basic = self.headers.get("Authorization", "")
            if basic.startswith("Basic "):
                cid, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
            else:
                cid, secret = form.get("client_id", ""), form.get("client_secret", "")
            grant = provider.codes.pop(form.get("code", ""), None)
            if urlparse(self.path).path != "/token" or (cid, secret) != (CLIENT_ID, CLIENT_SECRET) \
                    or grant is None:
                self._json({"error": "invalid_grant"}, 400)
                return
            provider.token_requests += 1
            self._json({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                        "expires_in": 600, "id_token": provider.id_token(grant["nonce"])})

    return Handler


@contextmanager
def oidc_provider() -> Iterator[Provider]:
    """Serve a stand-in provider on a free local port; yields it (set ``.user`` to sign in)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(Provider("")))
    provider = Provider(f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _handler(provider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()


def secrets_toml(provider: Provider, app_url: str) -> str:
    """The app's ``[auth]`` section for this provider (``.streamlit/secrets.toml``)."""
    return (f'[auth]\nredirect_uri = "{app_url}/oauth2callback"\n'
            f'cookie_secret = "{secrets.token_hex(16)}"\nclient_id = "{CLIENT_ID}"\n'
            f'client_secret = "{CLIENT_SECRET}"\n'
            f'server_metadata_url = "{provider.base}/.well-known/openid-configuration"\n')

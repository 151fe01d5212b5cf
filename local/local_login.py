"""LOCAL-ONLY stand-in for Cognito's managed login, so the Escalate app signs in locally exactly as it does
in AWS: authorization code with PKCE against `<domain>/oauth2/authorize`, `/oauth2/token` and `/logout`.

The local config.json (local.desktop) names this server as the app's Cognito domain; the app has no
other sign-in path. The sign-in page lists the seeded contact centre's people instead of asking for a
password, and the ID tokens it issues are the local API's dev tokens (local.dev_tokens), which the
deployed Cognito authorizer rejects.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qsl, urlencode

from local.dev_tokens import LOCAL_CLIENT_ID, make_dev_token
from local.http_service import HttpRequest, HttpResponse

CODE_LIFETIME_SECONDS: Final = 300  # Cognito's authorization codes last 5 minutes
DEFAULT_TOKEN_SECONDS: Final = 3600  # Cognito's default ID-token lifetime


@dataclass(frozen=True)
class LocalUser:
    username: str
    connect_user_id: str
    groups: tuple[str, ...]
    description: str


# The people of `make serve`'s contact centre (local.seed): agents handle contacts, carol supervises.
LOCAL_USERS: Final = (
    LocalUser("alice", "agent-alice", ("agents",), "agent, Available"),
    LocalUser("bob", "agent-bob", ("agents",), "agent, Available"),
    LocalUser("dave", "agent-dave", ("agents",), "agent, TASK slots full"),
    LocalUser("erin", "agent-erin", ("agents",), "agent, Offline"),
    LocalUser("carol", "agent-carol", ("supervisors",), "supervisor"),
)


@dataclass(frozen=True)
class _Grant:
    user: LocalUser
    challenge: str
    redirect_uri: str
    expires: float


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _oauth_error(error: str, status: int = 400) -> HttpResponse:
    return HttpResponse.json(status, {"error": error})


def _redirect(location: str) -> HttpResponse:
    return HttpResponse.of(302, {"Location": location, "Cache-Control": "no-store"})


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in (local)</title>
<style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto}}
button{{display:block;width:100%;margin:.4rem 0;padding:.6rem;font:inherit;text-align:left}}</style></head>
<body><main><h1>Sign in</h1>
<p>LOCAL-ONLY sign-in for <code>make serve</code>: choose who you are.
In AWS this is Cognito's managed login.</p>
<form method="post" action="{action}">
{hidden}
{buttons}
</form></main></body></html>"""


class LocalLogin:
    """The managed-login endpoints under `prefix` (e.g. /local-login), for redirect URIs under `allowed`."""

    def __init__(self, prefix: str, allowed_redirect_prefix: str, token_seconds: int = DEFAULT_TOKEN_SECONDS):
        self.prefix = prefix
        self.allowed_redirect_prefix = allowed_redirect_prefix
        self.token_seconds = token_seconds
        self._lock = threading.Lock()
        self._codes: dict[str, _Grant] = {}
        self._refresh: dict[str, LocalUser] = {}

    def handle(self, request: HttpRequest) -> HttpResponse | None:
        """The answer when the request is for one of these endpoints, else None."""
        route = (request.method, request.path.removeprefix(self.prefix))
        if not request.path.startswith(self.prefix + "/"):
            return None
        if route == ("GET", "/oauth2/authorize"):
            return self._authorize(dict(parse_qsl(request.query)))
        if route == ("POST", "/login"):
            return self._login(dict(parse_qsl(request.body.decode("utf-8", "replace"))))
        if route == ("POST", "/oauth2/token"):
            return self._token(dict(parse_qsl(request.body.decode("utf-8", "replace"))))
        if route == ("GET", "/logout"):
            return self._logout(dict(parse_qsl(request.query)))
        return HttpResponse(404)

    def _redirect_allowed(self, uri: str) -> bool:
        return uri.startswith(self.allowed_redirect_prefix)

    def _authorize(self, query: dict[str, str]) -> HttpResponse:
        if query.get("client_id") != LOCAL_CLIENT_ID or not self._redirect_allowed(
            query.get("redirect_uri", "")
        ):
            return _oauth_error("invalid_client")
        if query.get("response_type") != "code" or query.get("code_challenge_method") != "S256":
            return _oauth_error("invalid_request")  # this client must use the code grant with PKCE
        if not query.get("code_challenge"):
            return _oauth_error("invalid_request")
        kept = ("redirect_uri", "state", "code_challenge")
        hidden = "\n".join(
            f'<input type="hidden" name="{name}" value="{html.escape(query.get(name, ""))}">' for name in kept
        )
        buttons = "\n".join(
            f'<button type="submit" name="username" value="{user.username}">'
            f"{user.username} ({user.description})</button>"
            for user in LOCAL_USERS
        )
        page = _PAGE.format(action=f"{self.prefix}/login", hidden=hidden, buttons=buttons)
        return HttpResponse.of(200, {"Content-Type": "text/html; charset=utf-8"}, page.encode())

    def _login(self, form: dict[str, str]) -> HttpResponse:
        user = next((u for u in LOCAL_USERS if u.username == form.get("username")), None)
        redirect_uri = form.get("redirect_uri", "")
        if user is None or not self._redirect_allowed(redirect_uri) or not form.get("code_challenge"):
            return _oauth_error("invalid_request")
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = _Grant(
                user, form["code_challenge"], redirect_uri, time.time() + CODE_LIFETIME_SECONDS
            )
        return _redirect(f"{redirect_uri}?{urlencode({'code': code, 'state': form.get('state', '')})}")

    def _token(self, form: dict[str, str]) -> HttpResponse:
        if form.get("client_id") != LOCAL_CLIENT_ID:
            return _oauth_error("invalid_client")
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            with self._lock:
                grant = self._codes.pop(form.get("code", ""), None)  # a code is good once
            valid = (
                grant is not None
                and grant.expires > time.time()
                and grant.redirect_uri == form.get("redirect_uri")
                and grant.challenge == _s256(form.get("code_verifier", ""))
            )
            if grant is None or not valid:
                return _oauth_error("invalid_grant")
            refresh_token = secrets.token_urlsafe(32)
            with self._lock:
                self._refresh[refresh_token] = grant.user
            return self._tokens(grant.user, refresh_token)
        if grant_type == "refresh_token":
            with self._lock:
                user = self._refresh.get(form.get("refresh_token", ""))
            return self._tokens(user, None) if user is not None else _oauth_error("invalid_grant")
        return _oauth_error("unsupported_grant_type")

    def _tokens(self, user: LocalUser, refresh_token: str | None) -> HttpResponse:
        token = make_dev_token(
            user.connect_user_id, user.groups, user.username, expires_in=self.token_seconds
        )
        body: dict[str, object] = {
            "id_token": token,
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.token_seconds,
        }
        if refresh_token is not None:
            body["refresh_token"] = refresh_token
        return HttpResponse.of(
            200, {"Content-Type": "application/json", "Cache-Control": "no-store"}, json.dumps(body).encode()
        )

    def _logout(self, query: dict[str, str]) -> HttpResponse:
        logout_uri = query.get("logout_uri", "")
        if query.get("client_id") != LOCAL_CLIENT_ID or not self._redirect_allowed(logout_uri):
            return _oauth_error("invalid_request")
        return _redirect(logout_uri)

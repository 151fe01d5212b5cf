"""`make serve`'s desktop server: the built app, its config.json, and the LOCAL-ONLY managed-login
stand-in, which holds the app to the authorization-code grant with PKCE as Cognito does."""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from local.desktop import DesktopOptions, DesktopServer, build_desktop
from local.dev_tokens import LOCAL_CLIENT_ID, parse_dev_token

pytestmark = pytest.mark.integration

VERIFIER = "a-verifier-long-enough-for-pkce-0123456789-abcdefghijklmnop"
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


@pytest.fixture(scope="module")
def server() -> Iterator[DesktopServer]:
    build_desktop()
    running = DesktopServer(DesktopOptions(port=0)).start()
    running.api_url = "http://127.0.0.1:3000"
    try:
        yield running
    finally:
        running.stop()


def call(url: str, form: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    data = urlencode(form).encode() if form is not None else None
    try:
        with _OPENER.open(urllib.request.Request(url, data=data), timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def sign_in_code(server: DesktopServer, username: str = "alice") -> str:
    login = server.url + "/local-login"
    status, _, page = call(
        login + "/oauth2/authorize?"
        + urlencode({
            "response_type": "code", "client_id": LOCAL_CLIENT_ID, "redirect_uri": server.app_url,
            "state": "s-1", "code_challenge": CHALLENGE, "code_challenge_method": "S256",
        })
    )  # fmt: skip
    assert status == 200
    assert b'value="carol"' in page
    status, headers, _ = call(
        login + "/login",
        {"username": username, "redirect_uri": server.app_url, "state": "s-1", "code_challenge": CHALLENGE},
    )
    assert status == 302
    back = urlsplit(headers["location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == server.app_url
    query = parse_qs(back.query)
    assert query["state"] == ["s-1"]
    return query["code"][0]


def token(server: DesktopServer, **form: str) -> tuple[int, dict[str, Any]]:
    status, _, body = call(server.url + "/local-login/oauth2/token", {"client_id": LOCAL_CLIENT_ID, **form})
    return status, json.loads(body)


def test_config_json_names_the_api_and_the_local_sign_in(server: DesktopServer) -> None:
    status, _, body = call(server.app_url + "config.json")
    assert status == 200
    assert json.loads(body) == {
        "apiUrl": "http://127.0.0.1:3000",
        "cognitoDomain": server.url + "/local-login",
        "clientId": LOCAL_CLIENT_ID,
    }


def test_the_app_is_served_under_a_strict_content_security_policy(server: DesktopServer) -> None:
    status, headers, page = call(server.app_url)
    assert status == 200
    assert b"app.js" in page
    policy = headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'self'" in policy
    assert "connect-src 'self' http://127.0.0.1:3000" in policy


def test_only_files_of_the_build_are_served(server: DesktopServer) -> None:
    assert call(server.app_url + "app.js")[0] == 200
    assert call(server.app_url + "..%2Fsrc%2Fmain.ts")[0] == 404
    assert call(server.url + "/desktop/../local/serve.py")[0] == 404


def test_a_code_with_its_verifier_gives_the_users_dev_token_once(server: DesktopServer) -> None:
    code = sign_in_code(server, "carol")
    status, tokens = token(
        server,
        grant_type="authorization_code",
        code=code,
        redirect_uri=server.app_url,
        code_verifier=VERIFIER,
    )
    assert status == 200
    claims = parse_dev_token(tokens["id_token"])
    assert claims is not None
    assert claims["cognito:username"] == "carol"
    assert claims["cognito:groups"] == ["supervisors"]
    assert tokens["expires_in"] > 0
    again, answer = token(
        server,
        grant_type="authorization_code",
        code=code,
        redirect_uri=server.app_url,
        code_verifier=VERIFIER,
    )
    assert (again, answer) == (400, {"error": "invalid_grant"})

    status, refreshed = token(server, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert status == 200
    assert parse_dev_token(refreshed["id_token"]) is not None
    assert "refresh_token" not in refreshed


def test_a_code_without_the_right_verifier_is_refused(server: DesktopServer) -> None:
    code = sign_in_code(server)
    status, answer = token(
        server, grant_type="authorization_code", code=code, redirect_uri=server.app_url, code_verifier="wrong"
    )
    assert (status, answer) == (400, {"error": "invalid_grant"})


def test_sign_in_without_pkce_or_to_a_foreign_redirect_is_refused(server: DesktopServer) -> None:
    base = {"response_type": "code", "client_id": LOCAL_CLIENT_ID, "redirect_uri": server.app_url}
    authorize = server.url + "/local-login/oauth2/authorize?"
    assert call(authorize + urlencode(base))[0] == 400
    foreign = {**base, "redirect_uri": "https://attacker.example/", "code_challenge": CHALLENGE}
    assert call(authorize + urlencode({**foreign, "code_challenge_method": "S256"}))[0] == 400

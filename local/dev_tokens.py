"""LOCAL-ONLY development tokens for the local API, and claims flattened the way API Gateway hands them over.

There is no Cognito locally, so the local API accepts unsigned tokens `local-dev.<base64url(JSON claims)>`
(see local/api.py's docstring). They are not JWTs: the deployed Cognito authorizer rejects them.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

DEV_TOKEN_PREFIX = "local-dev."  # noqa: S105 - a marker, not a secret
LOCAL_CLIENT_ID = "local-dev-client"  # the app client the dev tokens are issued to (their `aud`)


def make_dev_token(
    user_id: str,
    groups: Sequence[str],
    username: str,
    *,
    expires_in: int = 3600,
    extra_claims: Mapping[str, Any] | None = None,
) -> str:
    """A LOCAL-ONLY token (`local-dev.<base64url claims>`) for `Authorization: Bearer <token>`.

    user_id is the caller's Connect user id (claim `custom:connect_user_id`); sub is a stable UUID
    derived from the username, as Cognito's sub is stable per user. extra_claims override any claim.
    """
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, f"local-dev:{username}")),
        "cognito:username": username,
        "cognito:groups": list(groups),
        "custom:connect_user_id": user_id,
        "token_use": "id",
        "aud": LOCAL_CLIENT_ID,
        "iss": "local-dev",
        "auth_time": now,
        "iat": now,
        "exp": now + expires_in,
    }
    claims.update(extra_claims or {})
    payload = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode()).rstrip(b"=")
    return DEV_TOKEN_PREFIX + payload.decode("ascii")


def parse_dev_token(authorization: str | None) -> dict[str, Any] | None:
    """The claims of a valid dev token in an Authorization header value, or None when it must be refused."""
    if not authorization:
        return None
    token = authorization.strip()
    if token[:7].lower() == "bearer ":
        token = token[7:].strip()
    if not token.startswith(DEV_TOKEN_PREFIX):
        return None
    payload = token[len(DEV_TOKEN_PREFIX) :]
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        claims = json.loads(raw)
    except (binascii.Error, ValueError):
        return None
    if not isinstance(claims, dict) or not isinstance(claims.get("sub"), str) or not claims["sub"]:
        return None
    exp = claims.get("exp")
    if exp is not None and (not isinstance(exp, int | float) or exp <= time.time()):
        return None
    return claims


def _claim_date(epoch: Any) -> str:
    return datetime.fromtimestamp(float(epoch), UTC).strftime("%a %b %d %H:%M:%S UTC %Y")


def authorizer_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """Token claims flattened to strings the way API Gateway's Cognito authorizer hands them over."""
    out: dict[str, str] = {}
    for key, value in claims.items():
        if key in ("exp", "iat") and isinstance(value, int | float):
            out[key] = _claim_date(value)
        elif isinstance(value, list | tuple):
            out[key] = ",".join(str(v) for v in value)
        elif isinstance(value, bool):
            out[key] = "true" if value else "false"
        else:
            out[key] = str(value)
    return out

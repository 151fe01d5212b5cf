"""Who calls the API: the user named by a Cognito ID token issued to one of the configured app clients."""

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from escalation.config import Settings
from escalation.domain.authorization import parse_groups
from escalation.domain.model import Caller

# Cognito puts this in an ID token; an access token says "access" and carries no `aud`.
ID_TOKEN_USE = "id"  # noqa: S105 - a claim value, not a secret


def request_caller(event: APIGatewayProxyEvent, settings: Settings) -> Caller | None:
    """The caller of this request, or None (unauthenticated: no ID token of a configured client)."""
    claims = event.request_context.authorizer.claims or {}
    if claims.get("token_use") != ID_TOKEN_USE or claims.get("aud") not in settings.caller_client_ids:
        return None
    username = claims.get("cognito:username") or claims.get("username") or claims.get("sub")
    if not username:
        return None
    return Caller(
        username=str(username),
        connect_user_id=claims.get(settings.caller_user_id_claim),
        groups=parse_groups(claims.get("cognito:groups")),
    )

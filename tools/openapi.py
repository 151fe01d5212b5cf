"""Prints the API's OpenAPI document, generated from the Powertools resolver (`make openapi`)."""

import sys

from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

from escalation.triggers.api import app

TITLE = "Escalation service for Amazon Connect"
VERSION = "1.0.0"


def document() -> str:
    return app.get_openapi_json_schema(
        title=TITLE,
        version=VERSION,
        description=(
            "Escalate a TASK or EMAIL contact from the agent desktop. Calls carry a Cognito user-pool "
            "ID token: `Authorization: Bearer <token>`."
        ),
        security_schemes={"cognito": HTTPBearer(bearerFormat="JWT")},
        security=[{"cognito": []}],
    )


if __name__ == "__main__":
    sys.stdout.write(document() + "\n")

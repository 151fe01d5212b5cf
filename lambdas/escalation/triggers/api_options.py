"""`GET /escalation-options?contactId=...`: what the caller can do for a contact now (the desktop's form).

Answered here, not by the escalation error handlers: a refused or failed read is neither dead-lettered
nor alerted. Authorisation is POST's: a caller who may not escalate the contact gets FORBIDDEN, whether
or not it exists.
"""

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Query

from escalation.composition import components
from escalation.contract import ESCALATION_OPTIONS_PATH
from escalation.domain.errors import ConnectCallFailed, EscalationRefused
from escalation.domain.policy import decide, decide_refusal
from escalation.triggers.api_caller import request_caller
from escalation.triggers.api_errors import UNAUTHENTICATED, error_response
from escalation.triggers.api_options_models import OPTIONS_RESPONSES

# Connect's contact ids are at most 256 characters (as POST's body model says).
MAX_CONTACT_ID_LENGTH = 256


class _OptionsRoute:
    def __init__(self, app: APIGatewayRestResolver) -> None:
        self.app = app

    def get_escalation_options(
        self,
        contactId: Annotated[  # noqa: N803 - the query parameter's name
            str,
            Query(
                min_length=1,
                max_length=MAX_CONTACT_ID_LENGTH,
                description="The contact to escalate (the id Agent Workspace or the CCP gives).",
            ),
        ],
    ) -> Response[Any]:
        caller = request_caller(self.app.current_event, components().settings)
        if caller is None:
            return error_response(UNAUTHENTICATED, "no caller identity in the request")
        try:
            options = components().escalation_options.options(caller, contactId)
        except EscalationRefused as refused:
            return error_response(decide_refusal(refused.reason).api, refused.message)
        except ConnectCallFailed as failure:
            return error_response(decide(failure.kind).api, f"DescribeContact failed: {failure.error_code}")
        return Response(
            status_code=HTTPStatus.OK, content_type=content_types.APPLICATION_JSON, body=options.to_dict()
        )


def register_options_route(app: APIGatewayRestResolver) -> None:
    """Add the route to `app`."""
    route = _OptionsRoute(app)
    # Registered without decorator syntax: Powertools' decorator is untyped and mypy --strict says so.
    app.get(
        ESCALATION_OPTIONS_PATH,
        summary="What the caller can do for a contact now",
        description=(
            "The contact's channel, queue and level; whether it can be escalated now (if not, the code "
            "POST /escalations would answer); the reasons to offer, each with where the routing rules "
            "would send it; and the explicit targets the caller may choose. Nothing is transferred."
        ),
        responses=OPTIONS_RESPONSES,
    )(route.get_escalation_options)

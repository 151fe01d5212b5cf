"""The ledger's read routes: `GET /escalations/{escalationId}` and `GET /contacts/{contactId}/escalations`.

Reads are answered here, not by the escalation error handlers: a refused or failed read is neither
dead-lettered nor alerted, and is not counted as a refused escalation.
"""

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types

from escalation.composition import components
from escalation.contract import CONTACT_ESCALATIONS_PATH, ESCALATION_PATH
from escalation.domain.errors import ConnectCallFailed, EscalationRefused
from escalation.domain.model import Caller
from escalation.domain.policy import ApiAnswer, Refusal, decide, decide_refusal
from escalation.triggers.api_caller import request_caller
from escalation.triggers.api_errors import UNAUTHENTICATED, error_response
from escalation.triggers.api_ledger_models import (
    CHAIN_RESPONSES,
    ESCALATION_RESPONSES,
    ChainOut,
    EscalationRecordOut,
)
from escalation.usecases.ledger_queries import (
    EscalationNotFound,
    forbidden_chain,
    forbidden_entry,
)

ESCALATION_NOT_FOUND = ApiAnswer(404, "ESCALATION_NOT_FOUND")
# Longer ids name nothing: escalation ids are UUIDs, Connect's contact ids are at most 256 characters.
MAX_ESCALATION_ID_LENGTH = 128
MAX_CONTACT_ID_LENGTH = 256


def resolver_path(api_gateway_path: str) -> str:
    """API Gateway's `{name}` path parameters in Powertools' `<name>` syntax."""
    return api_gateway_path.replace("{", "<").replace("}", ">")


def _refused(refused: EscalationRefused) -> Response[Any]:
    return error_response(decide_refusal(refused.reason).api, refused.message)


def _ok(body: dict[str, Any]) -> Response[Any]:
    return Response(status_code=HTTPStatus.OK, content_type=content_types.APPLICATION_JSON, body=body)


class _LedgerRoutes:
    """The read routes' handlers, for one resolver."""

    def __init__(self, app: APIGatewayRestResolver) -> None:
        self.app = app

    def _caller(self) -> Caller | None:
        return request_caller(self.app.current_event, components().settings)

    def _caller_or_answer(
        self,
        identifier: str,
        max_length: int,
        forbidden: Callable[[], EscalationRefused],
        not_found: Callable[[], Response[Any]],
    ) -> Caller | Response[Any]:
        """The caller, or the answer given before any read: no caller identity, or an id too long to name
        anything (`not_found` to a supervisor; to anyone else, as for any id they may not read). The
        answers are built only when given."""
        caller = self._caller()
        if caller is None:
            return error_response(UNAUTHENTICATED, "no caller identity in the request")
        if len(identifier) <= max_length:
            return caller
        if not components().ledger_queries.is_supervisor(caller):
            return _refused(forbidden())
        return not_found()

    def get_escalation(self, escalationId: str) -> Response[Any]:  # noqa: N803 - the path parameter's name
        caller = self._caller_or_answer(
            escalationId,
            MAX_ESCALATION_ID_LENGTH,
            forbidden_entry,
            lambda: error_response(ESCALATION_NOT_FOUND, "no escalation with this id"),
        )
        if isinstance(caller, Response):
            return caller
        try:
            entry = components().ledger_queries.escalation(caller, escalationId)
        except EscalationNotFound:
            return error_response(ESCALATION_NOT_FOUND, "no escalation with this id")
        except EscalationRefused as refused:
            return _refused(refused)
        return _ok(EscalationRecordOut.model_validate(entry.to_dict()).model_dump(mode="json"))

    def get_contact_escalations(self, contactId: str) -> Response[Any]:  # noqa: N803 - the path parameter's name
        caller = self._caller_or_answer(
            contactId,
            MAX_CONTACT_ID_LENGTH,
            forbidden_chain,
            lambda: error_response(decide_refusal(Refusal.CONTACT_NOT_FOUND).api, "no such contact"),
        )
        if isinstance(caller, Response):
            return caller
        try:
            history = components().ledger_queries.chain_of(caller, contactId)
        except EscalationRefused as refused:
            return _refused(refused)
        except ConnectCallFailed as failure:
            return error_response(decide(failure.kind).api, f"DescribeContact failed: {failure.error_code}")
        return _ok(ChainOut.model_validate(history.to_dict()).model_dump(mode="json"))


def register_ledger_routes(app: APIGatewayRestResolver) -> None:
    """Add the read routes to `app`."""
    routes = _LedgerRoutes(app)
    # Registered without decorator syntax: Powertools' decorator is untyped and mypy --strict says so.
    for path, summary, description, responses, handler in (
        (
            ESCALATION_PATH,
            "Read one escalation",
            "The escalation ledger's entry: status, level, target and every attempt.",
            ESCALATION_RESPONSES,
            routes.get_escalation,
        ),
        (
            CONTACT_ESCALATIONS_PATH,
            "Read the escalations of a contact's chain",
            "Every escalation of the contact's chain (name any contact of it), oldest first.",
            CHAIN_RESPONSES,
            routes.get_contact_escalations,
        ),
    ):
        app.get(resolver_path(path), summary=summary, description=description, responses=responses)(handler)

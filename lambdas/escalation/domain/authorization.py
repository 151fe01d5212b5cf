"""Who may escalate a contact from the desktop: its current agent, or a supervisor.

Identities compare exactly: a user id claim is the contact's agent id, or this instance's ARN for that
agent, and nothing else (no last-segment matching, no trimming).
"""

from escalation.domain.errors import EscalationRefused
from escalation.domain.model import Caller, Contact
from escalation.domain.policy import Refusal

FORBIDDEN_MESSAGE = "only the contact's current agent or a supervisor may escalate this contact"
# Characters that cannot round-trip through every form `cognito:groups` takes ("a,b", "[a b]").
GROUP_NAME_FORBIDDEN = frozenset(",[]")


def group_name_problem(name: str) -> str | None:
    """Why `name` cannot be a group this service matches, or None."""
    if not name:
        return "it is empty"
    if any(char in GROUP_NAME_FORBIDDEN or char.isspace() for char in name):
        return "it holds a comma, a bracket or whitespace, which the cognito:groups claim cannot carry"
    return None


def parse_groups(raw: object) -> frozenset[str]:
    """The groups of a `cognito:groups` claim, in each form API Gateway hands it over, parsed exactly.

    A JSON list: each element is one group. A REST API string: comma-joined ("a" or "a,b"). An HTTP API
    string: bracketed and space-separated ("[a b]"). Nothing is trimmed: a group name never holds a
    comma, a bracket or whitespace (see group_name_problem), so an element that does is no group of ours.
    """
    if isinstance(raw, list):
        return frozenset(group for group in raw if isinstance(group, str) and group)
    if not isinstance(raw, str) or not raw:
        return frozenset()
    if raw.startswith("[") and raw.endswith("]"):
        return frozenset(group for group in raw[1:-1].split(" ") if group)
    return frozenset(group for group in raw.split(",") if group)


def _is_the_agent(user_id_claim: str, contact: Contact) -> bool:
    if contact.agent_id is None:
        return False
    if user_id_claim == contact.agent_id:
        return True
    instance_arn = contact.instance_arn
    return instance_arn is not None and user_id_claim == f"{instance_arn}/agent/{contact.agent_id}"


def is_supervisor(caller: Caller | None, supervisor_group: str) -> bool:
    return caller is not None and supervisor_group in caller.groups


def authorize(caller: Caller | None, contact: Contact, supervisor_group: str) -> None:
    if is_supervisor(caller, supervisor_group):
        return
    if caller is not None and caller.connect_user_id and _is_the_agent(caller.connect_user_id, contact):
        return
    raise EscalationRefused(Refusal.FORBIDDEN, FORBIDDEN_MESSAGE)

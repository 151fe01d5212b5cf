"""Connect's own rules, checked before TransferContact: channel, active contact, the transfer limit."""

import pytest

from escalation.domain.errors import EscalationRefused
from escalation.domain.model import Contact
from escalation.domain.policy import Refusal
from escalation.domain.preflight import MAX_TRANSFERS_PER_CONTACT, check_transferable


def contact(channel: str = "TASK", *, ended: bool = False) -> Contact:
    return Contact("c-1", "c-1", channel, ended)


def refusal_of(contact_: Contact, transfers: int = 0, *, resuming: bool = False) -> Refusal:
    with pytest.raises(EscalationRefused) as raised:
        check_transferable(contact_, transfers, resuming=resuming)
    return raised.value.reason


@pytest.mark.parametrize("channel", ["TASK", "EMAIL"])
def test_task_and_email_contacts_are_transferable(channel: str) -> None:
    check_transferable(contact(channel), 0)


@pytest.mark.parametrize("channel", ["VOICE", "CHAT", "", "task", "SMS"])
def test_other_channels_are_refused(channel: str) -> None:
    assert refusal_of(contact(channel)) is Refusal.CHANNEL_NOT_SUPPORTED


def test_the_channel_is_checked_before_anything_else() -> None:
    # An ended VOICE contact at the limit is still, first of all, a channel Connect never transfers.
    assert refusal_of(contact("VOICE", ended=True), 11) is Refusal.CHANNEL_NOT_SUPPORTED


def test_an_ended_contact_is_refused() -> None:
    assert refusal_of(contact(ended=True)) is Refusal.CONTACT_ENDED


def test_the_limit_is_eleven_transfers() -> None:
    assert MAX_TRANSFERS_PER_CONTACT == 11


def test_ten_confirmed_transfers_allow_an_eleventh() -> None:
    check_transferable(contact(), 10)


@pytest.mark.parametrize("transfers", [11, 12, 50])
def test_eleven_confirmed_transfers_refuse_a_twelfth(transfers: int) -> None:
    assert refusal_of(contact(), transfers) is Refusal.TRANSFER_LIMIT_REACHED


def test_resuming_allows_an_ended_contact() -> None:
    # The earlier attempt of this very escalation may have moved the contact: it is replayed.
    check_transferable(contact(ended=True), 1, resuming=True)


def test_resuming_still_respects_the_confirmed_count() -> None:
    # An unfinished attempt is not a confirmed transfer, so the count is the same whether resuming or not.
    check_transferable(contact(), 10, resuming=True)
    assert refusal_of(contact(), 11, resuming=True) is Refusal.TRANSFER_LIMIT_REACHED


def test_resuming_does_not_make_a_voice_contact_transferable() -> None:
    assert refusal_of(contact("VOICE"), resuming=True) is Refusal.CHANNEL_NOT_SUPPORTED

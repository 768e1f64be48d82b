"""Resending a login code (WEB.md journey 5; BR-11, BR-12): the rules that need a race to show."""

from __future__ import annotations

import copy

import pytest

from mes.domain.errors import OtpInvalid, RateLimited
from mes.services import auth
from tests.unit import test_auth as base

deps = base.deps
holder = base.holder


def test_given_two_parallel_resends_reading_the_same_challenge_then_one_code_is_sent(holder, deps, clock, monkeypatch):
    """Both requests read the challenge before either writes (past the 30 s wait): the new code is
    stored by a conditional write on the last send time, so the second one is 429 and sends nothing."""
    challenge, _ = base.log_in(holder, deps, clock())
    clock.advance(seconds=auth.RESEND_WAIT_SECONDS)
    stale = holder.ephemeral.get_challenge(challenge.challenge_id)
    monkeypatch.setattr(holder.ephemeral, "get_challenge", lambda _id: copy.deepcopy(stale))  # every read is stale
    sent = len(holder.notifier.sent)

    auth.resend_otp(deps, challenge_id=challenge.challenge_id, channel=None, now=clock())
    with pytest.raises(RateLimited) as caught:
        auth.resend_otp(deps, challenge_id=challenge.challenge_id, channel="sms", now=clock())

    assert caught.value.retry_after == auth.RESEND_WAIT_SECONDS
    assert len(holder.notifier.sent) == sent + 1
    monkeypatch.undo()
    otp = holder.notifier.last_otp(base.EMAIL)
    assert auth.verify_otp(deps, challenge_id=challenge.challenge_id, otp=otp, now=clock())


def test_given_a_resent_code_then_it_is_valid_10_minutes_from_the_resend(holder, deps, clock):
    """BR-11: each code is valid ≤ 10 minutes from its own send; the tries counter is not reset."""
    challenge, _ = base.log_in(holder, deps, clock())
    clock.advance(seconds=300)
    again = auth.resend_otp(deps, challenge_id=challenge.challenge_id, channel="email", now=clock())
    assert (again.expires_in, again.resend_after, again.channels) == (600, 30, ["email", "sms"])
    otp = holder.notifier.last_otp(base.EMAIL)
    clock.advance(seconds=599)  # 899 s after the login, 599 s after the resend
    assert auth.verify_otp(deps, challenge_id=challenge.challenge_id, otp=otp, now=clock())
    with pytest.raises(OtpInvalid):  # single use
        auth.verify_otp(deps, challenge_id=challenge.challenge_id, otp=otp, now=clock())

"""The web session's rules on the fakes (WEB.md "Session"): the 30-minute idle limit to the second,
rotation, and the session epoch (BR-14, BR-15). The HTTP side (cookie, moto) is in
tests/integration/test_session_cookie.py."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mes.domain.errors import SessionExpired
from mes.services import auth
from mes.services.enrolment import HOLDER_AUDIENCE
from tests.support.leaks import remember
from tests.unit.test_auth import deps, holder, log_in  # noqa: F401 - the activated holder of test_auth.py


@pytest.fixture
def session(holder, deps, clock):  # noqa: F811
    challenge, otp = log_in(holder, deps, clock())
    issued = auth.login_with_otp(deps, challenge_id=challenge.challenge_id, otp=otp, now=clock())
    remember(issued.session_id, issued.access_token)
    return issued


def test_given_exactly_30_minutes_idle_then_renewed_and_one_second_more_then_expired(holder, deps, clock, session):  # noqa: F811
    clock.advance(minutes=30)
    renewed = auth.refresh(deps, session_id=session.session_id, now=clock())
    assert auth.authenticate(deps, renewed.access_token, HOLDER_AUDIENCE, clock())["sub"]

    clock.advance(minutes=30, seconds=1)
    with pytest.raises(SessionExpired):
        auth.refresh(deps, session_id=renewed.session_id, now=clock())


def test_the_session_is_stored_under_a_keyed_hash_with_the_espace_epoch_and_last_activity(
        holder, deps, clock, session):  # noqa: F811
    [(key, stored)] = holder.ephemeral.web_sessions.items()
    assert session.session_id not in key and len(key) == 64
    espace = holder.repo.get(stored.espace_id)
    assert (stored.epoch, stored.last_active) == (espace.session_epoch, clock().replace(microsecond=0))


def test_a_rotated_id_is_refused_and_the_new_one_works(holder, deps, clock, session):  # noqa: F811
    clock.advance(minutes=5)
    renewed = auth.refresh(deps, session_id=session.session_id, now=clock())
    with pytest.raises(SessionExpired):
        auth.refresh(deps, session_id=session.session_id, now=clock())
    assert auth.refresh(deps, session_id=renewed.session_id, now=clock() + timedelta(minutes=1)).session_id


def test_given_a_new_session_epoch_or_no_session_then_expired(holder, deps, clock, session):  # noqa: F811
    espace = holder.repo.get(next(iter(holder.ephemeral.web_sessions.values())).espace_id)
    espace.session_epoch += 1
    holder.repo.save(espace)
    for sid in (session.session_id, ""):
        with pytest.raises(SessionExpired):
            auth.refresh(deps, session_id=sid, now=clock())


def test_ending_a_session_removes_it(holder, deps, clock, session):  # noqa: F811
    auth.end_session(deps, session.session_id)
    assert holder.ephemeral.web_sessions == {}
    with pytest.raises(SessionExpired):
        auth.refresh(deps, session_id=session.session_id, now=clock())

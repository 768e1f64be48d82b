"""Children and legal representatives (BR-16 to BR-18), with fakes and a frozen clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from mes.domain import children as family
from mes.domain import documents as rules
from mes.domain.documents import AuthorType, DocStatus, Document
from mes.domain.errors import (
    CodeExpired,
    CodeLocked,
    CodeUsed,
    Forbidden,
    InvalidCredentials,
    NotFound,
    RateLimited,
    StateConflict,
)
from mes.domain.espace import Status
from mes.services import children, espaces
from mes.services.population import import_population
from mes.services.wave import run_wave
from tests.fakes import InjectedCrash, person, rows

PARENT = person(1)
OTHER_PARENT = person(2)
STRANGER = person(3)
ZOE = {**person(5, birth=date(2010, 5, 10), guardian=PARENT), "first_name": "Zoe", "email": "zoe@example.org"}
LEO = {**person(6, birth=date(2012, 2, 29), guardian=PARENT), "first_name": "Leo", "address": "6 rue Haute, 44000 Nantes"}
NINA = {**person(7, birth=date(2011, 1, 20), guardian=PARENT), "first_name": "Nina"}  # no contact of her own


def at(day: date, hour: int = 0, minute: int = 45) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def espace_of(system, row):
    return next(e for e in system.repo.items.values() if e.first_name == row["first_name"])


def activate(system, row, login):
    """Setting up an adult's active espace (the activation itself is tested in test_enrolment)."""
    e = espace_of(system, row)
    e.status, e.login = Status.ACTIVE, login
    system.repo.items[e.espace_id] = e


def child_code(system, row) -> str:
    """The child's code the wave sent to the guardian (BR-05)."""
    return [s.data["code"] for s in system.notifier.sent if s.data.get("first_name") == row["first_name"]
            and "wave-code" in s.template][-1]


@pytest.fixture
def notified(system, clock):
    """Two parents (both active), a stranger, and three children of PARENT, notified by the wave:
    the children's codes went to PARENT (BR-05)."""
    import_population(rows(PARENT, OTHER_PARENT, STRANGER, ZOE, LEO, NINA), repo=system.repo, keys=system.keys,
                      now=clock())
    run_wave(system.wave_deps(), now=clock())
    activate(system, PARENT, "parent.one")
    activate(system, OTHER_PARENT, "parent.two")
    activate(system, STRANGER, "stranger")
    return system


def attach(system, clock, row, code=None, caller=PARENT, **changes):
    fields = {"nir": row["nir"], "birth_date": row["birth_date"], "vitale_serial": row["vitale_serial"], **changes}
    return children.attach_child(system.account_deps(), {"sub": espace_of(system, caller).espace_id},
                                 code=code or child_code(system, row), now=clock(), **fields)


def claims(system, row) -> dict:
    return {"sub": espace_of(system, row).espace_id}


class TestMajorityDate:
    def test_the_18th_birthday_the_day_before_and_the_day_of(self):
        """BR-18: a minor until the day before the 18th birthday, an adult on the day itself."""
        assert family.majority_date(date(2010, 5, 10)) == date(2028, 5, 10)
        assert family.is_minor(date(2010, 5, 10), date(2028, 5, 9))
        assert not family.is_minor(date(2010, 5, 10), date(2028, 5, 10))

    @pytest.mark.parametrize("birth", [date(2008, 2, 29), date(2012, 2, 29), date(2000, 2, 29)])
    def test_born_on_a_leap_day_comes_of_age_on_the_first_of_march(self, birth):
        """[design] 18 years after a 29 February is never a leap year: 18 full years have passed on 1 March."""
        majority = family.majority_date(birth)
        assert majority == date(birth.year + 18, 3, 1)
        assert family.is_minor(birth, date(birth.year + 18, 2, 28))
        assert not family.is_minor(birth, majority)

    def test_the_31_december_and_the_1_january(self):
        assert family.majority_date(date(2008, 12, 31)) == date(2026, 12, 31)
        assert family.is_minor(date(2009, 1, 1), date(2026, 12, 31))


class TestAttach:
    def test_the_guardian_attaches_the_child_with_the_childs_code(self, notified, clock):
        """BR-16: the child's espace becomes active, managed from the guardian's login, the code is spent."""
        child = attach(notified, clock, ZOE)
        assert (child.status, child.login, child.guardian_id) == (Status.ACTIVE, None,
                                                                  espace_of(notified, PARENT).espace_id)
        assert espace_of(notified, ZOE).current_code_used
        with pytest.raises(CodeUsed):
            attach(notified, clock, ZOE)
        assert espaces.get_espace(notified.repo, claims(notified, PARENT), "me")[1] == sorted(
            espace_of(notified, r).espace_id for r in (ZOE, LEO, NINA))

    def test_someone_else_than_the_guardian_gets_the_same_401_and_counts_no_attempt(self, notified, clock):
        """No enumeration: the right code from another login is 'invalid credentials', and a stranger
        cannot lock the child's code by trying."""
        code = child_code(notified, ZOE)
        for _ in range(6):
            with pytest.raises(InvalidCredentials):
                attach(notified, clock, ZOE, code=code, caller=STRANGER)
        assert espace_of(notified, ZOE).code_attempts == 0
        assert attach(notified, clock, ZOE).status == Status.ACTIVE

    def test_wrong_fields_and_codes_give_the_enrolment_errors(self, notified, clock):
        with pytest.raises(InvalidCredentials):
            attach(notified, clock, ZOE, vitale_serial="99999999999")
        for _ in range(4):
            with pytest.raises(InvalidCredentials):
                attach(notified, clock, ZOE, code="AAAAAAAAAAAA")
        with pytest.raises(CodeLocked):
            attach(notified, clock, ZOE, code="AAAAAAAAAAAA")
        with pytest.raises(CodeLocked):
            attach(notified, clock, ZOE)

    def test_an_expired_code(self, notified, clock):
        clock.advance(days=43)
        with pytest.raises(CodeExpired):
            attach(notified, clock, LEO)

    def test_an_adult_is_not_attached(self, notified, clock):
        """On the 18th birthday the guardian no longer attaches: the same 401."""
        espace = espace_of(notified, ZOE)
        code = child_code(notified, ZOE)
        clock.now = at(date(2028, 5, 10), 9)
        espace.code_expires_at = clock.now + timedelta(days=1)
        notified.repo.items[espace.espace_id] = espace
        with pytest.raises(InvalidCredentials):
            attach(notified, clock, ZOE, code=code)


class TestResolve:
    def test_guardian_representative_and_stranger(self, notified, clock):
        """BR-16: one read decides; the guardian and the representative act as representatives (BR-17)."""
        attach(notified, clock, ZOE)
        zoe = espace_of(notified, ZOE).espace_id
        children.invite_representative(notified.repo, notified.keys, claims(notified, PARENT), zoe,
                                       nir=OTHER_PARENT["nir"], birth_date=OTHER_PARENT["birth_date"], now=clock())
        for row in (PARENT, OTHER_PARENT):
            notified.repo.calls.clear()
            assert espaces.resolve_acting(notified.repo, claims(notified, row), zoe) == espaces.Acting(zoe, True)
            assert notified.repo.calls == ["get"]
        with pytest.raises(NotFound):
            espaces.resolve_acting(notified.repo, claims(notified, STRANGER), zoe)
        notified.repo.calls.clear()
        assert espaces.resolve_acting(notified.repo, {"sub": zoe}, "me") == espaces.Acting(zoe, False)
        assert notified.repo.calls == []


class TestRepresentatives:
    def invite(self, system, clock, row=OTHER_PARENT, caller=PARENT, child=ZOE):
        return children.invite_representative(system.repo, system.keys, claims(system, caller),
                                              espace_of(system, child).espace_id, nir=row["nir"],
                                              birth_date=row["birth_date"], now=clock())

    def test_the_guardian_invites_an_active_adult_who_then_lists_the_child(self, notified, clock):
        attach(notified, clock, ZOE)
        assert self.invite(notified, clock).espace_id == espace_of(notified, OTHER_PARENT).espace_id
        assert self.invite(notified, clock).espace_id == espace_of(notified, OTHER_PARENT).espace_id  # idempotent
        _, listed = espaces.get_espace(notified.repo, claims(notified, OTHER_PARENT), "me")
        assert listed == [espace_of(notified, ZOE).espace_id]
        assert family.representatives(espace_of(notified, ZOE)) == [
            (espace_of(notified, PARENT).espace_id, "guardian"), (espace_of(notified, OTHER_PARENT).espace_id,
                                                                  "representative")]

    def test_only_an_active_espace_may_be_invited(self, notified, clock):
        attach(notified, clock, ZOE)
        other = espace_of(notified, OTHER_PARENT)
        other.status = Status.CREATED
        notified.repo.items[other.espace_id] = other
        with pytest.raises(family.RepresentativeNotFound):
            self.invite(notified, clock)
        with pytest.raises(family.RepresentativeNotFound):
            self.invite(notified, clock, row=person(40))  # unknown: the same answer

    def test_only_the_guardian_invites_and_only_one_second_representative(self, notified, clock):
        attach(notified, clock, ZOE)
        self.invite(notified, clock)
        with pytest.raises(Forbidden):
            self.invite(notified, clock, row=STRANGER, caller=OTHER_PARENT)
        with pytest.raises(StateConflict):
            self.invite(notified, clock, row=STRANGER)
        with pytest.raises(NotFound):  # a stranger does not even see the child
            self.invite(notified, clock, caller=STRANGER)

    def test_probing_is_rate_limited(self, notified, clock):
        """[design] at most 10 invitations a day per login: the route cannot probe who has an active espace."""
        attach(notified, clock, ZOE)
        for i in range(10):
            with pytest.raises(family.RepresentativeNotFound):
                children.invite_representative(notified.repo, notified.keys, claims(notified, PARENT),
                                               espace_of(notified, ZOE).espace_id, nir=person(50 + i)["nir"],
                                               birth_date=person(50 + i)["birth_date"], now=clock(),
                                               ephemeral=notified.ephemeral)
        with pytest.raises(RateLimited):
            children.invite_representative(notified.repo, notified.keys, claims(notified, PARENT),
                                           espace_of(notified, ZOE).espace_id, nir=OTHER_PARENT["nir"],
                                           birth_date=OTHER_PARENT["birth_date"], now=clock(),
                                           ephemeral=notified.ephemeral)

    def test_the_child_must_be_attached_first(self, notified, clock):
        with pytest.raises(StateConflict):
            self.invite(notified, clock)

    def test_removal_by_the_guardian_or_by_the_representative_themself(self, notified, clock):
        attach(notified, clock, ZOE)
        zoe = espace_of(notified, ZOE).espace_id
        other = espace_of(notified, OTHER_PARENT).espace_id
        self.invite(notified, clock)
        with pytest.raises(NotFound):
            children.remove_representative(notified.repo, claims(notified, STRANGER), zoe, other)
        with pytest.raises(StateConflict):  # the guardian on file is the insurer's data
            children.remove_representative(notified.repo, claims(notified, OTHER_PARENT), zoe,
                                           espace_of(notified, PARENT).espace_id)
        children.remove_representative(notified.repo, claims(notified, OTHER_PARENT), zoe, other)
        with pytest.raises(NotFound):
            espaces.resolve(notified.repo, claims(notified, OTHER_PARENT), zoe)
        self.invite(notified, clock)
        children.remove_representative(notified.repo, claims(notified, PARENT), zoe, other)
        assert espace_of(notified, ZOE).representative_id is None


def document(**changes) -> Document:
    base = dict(espace_id="e", document_id="d", title="t", category="BIOLOGIE", filename="f.pdf",
                content_type="application/pdf", size=10, author_type=AuthorType.PRACTITIONER, author_id="10003456789",
                created_at=datetime(2026, 3, 2, tzinfo=UTC), object_key="k", status=DocStatus.AVAILABLE)
    return Document(**{**base, **changes})


class TestHiddenFromRepresentatives:
    def test_representatives_never_see_it_the_young_holder_does(self):
        """BR-17."""
        hidden = document(hidden_from_representatives=True)
        assert not rules.visible_to_holder(hidden, as_representative=True)
        assert rules.visible_to_holder(hidden, as_representative=False)
        assert rules.visible_to_holder(document(), as_representative=True)
        with pytest.raises(NotFound):
            rules.holder_view(hidden, as_representative=True)

    def test_making_it_visible_again_is_irreversible(self):
        hidden = document(hidden_from_representatives=True)
        assert rules.set_hidden_from_representatives(hidden, False) is True
        assert rules.set_hidden_from_representatives(hidden, False) is False
        with pytest.raises(StateConflict):
            rules.set_hidden_from_representatives(hidden, True)
        with pytest.raises(StateConflict):  # never hidden after the deposit either
            rules.set_hidden_from_representatives(document(), True)

    def test_only_on_a_minors_managed_espace(self, notified, clock):
        with pytest.raises(Exception) as exc:
            children.require_minor_with_representatives(espace_of(notified, PARENT), clock())
        assert exc.value.code == "validation_error"
        children.require_minor_with_representatives(espace_of(notified, ZOE), clock())


def majority(system, now):
    deps = children.MajorityDeps(repo=system.repo, notifier=system.notifier, printer=system.printer, keys=system.keys,
                                 template_name=lambda n: f"mes-test-{n}", shards=system.repo.due_shards)
    return children.run_majority(deps, now=now)


class TestHandover:
    def test_nothing_the_day_before_everything_on_the_day(self, notified, clock):
        """BR-18: on the 18th birthday the representatives' access ends; the young adult gets their own
        code at their own e-mail; the guardian's copy of the code stops working."""
        attach(notified, clock, ZOE)
        TestRepresentatives().invite(notified, clock)
        zoe = espace_of(notified, ZOE).espace_id
        old_seq = espace_of(notified, ZOE).code_seq
        assert majority(notified, at(date(2028, 5, 9), 23, 59)).handed_over == 0
        assert espaces.resolve(notified.repo, claims(notified, PARENT), zoe)

        result = majority(notified, at(date(2028, 5, 10)))
        assert (result.handed_over, result.codes_by_email) == (1, 1)
        after = espace_of(notified, ZOE)
        assert (after.status, after.guardian_id, after.representative_id, after.handover_notice_pending) == (
            Status.CREATED, None, None, False)
        assert after.code_seq == old_seq + 1 and not after.current_code_used
        (sent,) = notified.notifier.to("zoe@example.org", "majority-code")
        assert sent.data["code"] != child_code(notified, ZOE)
        assert not notified.notifier.to(PARENT["email"], "majority-code")
        for row in (PARENT, OTHER_PARENT):
            with pytest.raises(NotFound):
                espaces.resolve(notified.repo, claims(notified, row), zoe)
        assert espaces.get_espace(notified.repo, claims(notified, OTHER_PARENT), "me")[1] == []
        # The young adult activates with their own code: the enrolment session accepts it.
        from mes.services import enrolment
        _, espace = enrolment.start_session(notified.account_deps(), nir=ZOE["nir"], birth_date=ZOE["birth_date"],
                                            vitale_serial=ZOE["vitale_serial"], code=sent.data["code"],
                                            now=at(date(2028, 5, 10), 9))
        assert espace.espace_id == zoe

    def test_idempotent_a_second_run_changes_nothing(self, notified, clock):
        attach(notified, clock, ZOE)
        majority(notified, at(date(2028, 5, 10)))
        before = (dict(notified.repo.items), len(notified.notifier.sent), len(notified.printer.writes))
        result = majority(notified, at(date(2028, 5, 11)))
        assert result.as_dict() == {"handed_over": 0, "codes_by_email": 0, "codes_by_letter": 0, "unreachable": 0,
                                    "complete": True}
        assert (dict(notified.repo.items), len(notified.notifier.sent), len(notified.printer.writes)) == before

    def test_a_crash_mid_run_loses_no_one_and_sends_no_code_twice(self, notified, clock):
        """Zoe (e-mail), Leo (letter, born 29 February) and Nina (no contact) all come of age by then."""
        attach(notified, clock, ZOE)
        now = at(date(2030, 3, 1))
        notified.notifier.break_next("send_templated")
        with pytest.raises(InjectedCrash):
            majority(notified, now)
        assert majority(notified, now).codes_by_email == 1  # Zoe's code, saved before the crash, sent now
        assert len(notified.notifier.to("zoe@example.org", "majority-code")) == 1
        assert [w for w in notified.printer.writes if w.startswith("majority-")] == [
            f"majority-{espace_of(notified, LEO).espace_id}-{espace_of(notified, LEO).code_seq}"]
        for row in (ZOE, LEO, NINA):
            e = espace_of(notified, row)
            assert (e.guardian_id, e.handover_notice_pending) == (None, False)
        assert majority(notified, now).handed_over == 0

    def test_leap_day_child_is_handed_over_on_the_first_of_march(self, notified, clock):
        assert majority(notified, at(date(2030, 2, 28), 23, 59)).handed_over == 2  # Zoe and Nina, not Leo yet
        assert espace_of(notified, LEO).guardian_id is not None
        result = majority(notified, at(date(2030, 3, 1)))
        assert result.handed_over == 1 and result.codes_by_letter == 1
        (letter,) = [x for f, xs in notified.printer.files.items() if f.startswith("majority-") for x in xs]
        assert letter["address"] == LEO["address"] and letter["recipient"].startswith("Leo")
        assert espace_of(notified, LEO).status == Status.NOTIFIED  # never attached: the opposition window runs on

    def test_a_pending_child_only_loses_the_guardian(self, system, clock):
        import_population(rows(PARENT, ZOE), repo=system.repo, keys=system.keys, now=clock())
        result = majority(system, at(date(2028, 5, 10)))
        zoe = espace_of(system, ZOE)
        assert (result.handed_over, result.codes_by_email, zoe.status, zoe.guardian_id) == (1, 0, Status.PENDING, None)
        assert zoe.delivery_contact().email == "zoe@example.org"  # the wave now writes to her

    def test_no_code_is_sent_to_someone_who_activated_in_between(self, notified, clock):
        """A crash left Zoe's notice pending, and she activated with the code before the rerun."""
        attach(notified, clock, ZOE)
        notified.notifier.break_next("send_templated")
        with pytest.raises(InjectedCrash):
            majority(notified, at(date(2028, 5, 10)))
        zoe = espace_of(notified, ZOE)
        assert zoe.handover_notice_pending
        zoe.status, zoe.code_used_seq, zoe.login = Status.ACTIVE, zoe.code_seq, "zoe.young"
        notified.repo.save(zoe)
        assert majority(notified, at(date(2028, 5, 11))).codes_by_email == 0
        assert not notified.notifier.to("zoe@example.org", "majority-code")
        assert not espace_of(notified, ZOE).handover_notice_pending

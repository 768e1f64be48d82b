"""Contract: the in-memory fakes (tests/fakes.py) and the DynamoDB adapter (moto, tables built from
template.yaml) behave the same. One test class, run once per implementation."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest

from mes.domain.errors import ConcurrentUpdate, LoginTaken
from mes.domain.espace import Contact, Espace, HolderSettings, Status, notify
from mes.ports import Challenge, Credential, WaveBatch
from tests.fakes import FakeCredentialRepository, FakeEphemeralStore, FakeEspaceRepository, shard_of

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclasses.dataclass
class Stores:
    espaces: object
    credentials: object
    ephemeral: object


@pytest.fixture(params=["fake", "dynamo"])
def stores(request) -> Stores:
    if request.param == "fake":
        repo = FakeEspaceRepository()
        return Stores(repo, FakeCredentialRepository(repo), FakeEphemeralStore())
    aws = request.getfixturevalue("aws")
    return Stores(aws.espaces, aws.credentials, aws.ephemeral)


def an_espace(i: int, **changes) -> Espace:
    base = Espace(espace_id=f"esp-{i:04d}", nir_hmac=f"nir-{i}", birth_date=date(1980, 1, 1) + timedelta(days=i),
                  vitale_hmac=f"vitale-{i}", first_name=f"Prenom{i}", last_name="Martin", department="44",
                  email=f"p{i}@example.org", address=f"{i} rue de la Paix")
    return dataclasses.replace(base, **changes)


def pages(fetch, limit: int) -> list[list]:
    collected, start = [], None
    for _ in range(100):
        page = fetch(limit, start)
        assert len(page.items) <= limit
        collected.append(page.items)
        start = page.next_key
        if start is None:
            return collected
    raise AssertionError("pagination never ends")


def test_the_fake_spreads_espaces_over_the_same_shards_as_the_adapter():
    from mes.adapters.dynamo import DUE_SHARDS, WAVE_SHARDS
    from mes.adapters.dynamo import shard_of as real_shard_of

    repo = FakeEspaceRepository()
    assert (repo.wave_shards, repo.due_shards) == (WAVE_SHARDS, DUE_SHARDS)
    assert all(shard_of(f"esp-{i}", 8) == real_shard_of(f"esp-{i}", 8) for i in range(200))


class TestRepositoryContract:
    # -- espaces: items --------------------------------------------------------------------
    def test_given_every_field_set_when_saved_then_get_returns_the_same_espace(self, stores):
        """BR-04..BR-10: every field of the espace survives a round trip (datetimes at second precision, UTC)."""
        child = Espace(
            espace_id="esp-child", nir_hmac="nir-x", birth_date=date(2015, 6, 1), vitale_hmac="vit-x",
            first_name="Zoé", last_name="Leroy", department="2A", status=Status.ACTIVE, email="z@example.org",
            mobile="+33612345678", address="1 place de la Mairie", guardian_id="esp-parent",
            guardian_contact=Contact(name="Anne Leroy", email="anne@example.org", mobile="+33700000000",
                                     address="2 rue Haute"),
            code_seq=3, code_used_seq=2, code_attempts=4, code_sent_at=NOW, code_expires_at=NOW + timedelta(days=42),
            notified_at=NOW - timedelta(days=1), opposition_deadline=NOW + timedelta(days=41),
            opposed_at=NOW + timedelta(hours=1), receipt_id="OPP-20260302-ABCD", created_at=NOW + timedelta(hours=2),
            activated_at=NOW + timedelta(hours=3), login="zoe.leroy", otp_channel="sms",
            imported_at=NOW - timedelta(days=10),
            settings=HolderSettings(documents_masked_by_default=True,
                                    notifications={"documents": False, "messages": True, "accesses": True},
                                    emergency={"samu": True, "break_glass": False, "masked_documents": False}),
        )
        stores.espaces.save(dataclasses.replace(child))

        got = stores.espaces.get("esp-child")

        assert got == dataclasses.replace(child, version=1)
        assert got.guardian_contact == child.guardian_contact and got.status is Status.ACTIVE
        assert got.settings == child.settings

    def test_given_an_adult_when_saved_then_optional_fields_come_back_empty(self, stores):
        adult = an_espace(1, email=None, address=None, mobile=None)
        stores.espaces.save(dataclasses.replace(adult))

        assert stores.espaces.get(adult.espace_id) == dataclasses.replace(adult, version=1)
        assert stores.espaces.get("nobody") is None

    def test_given_a_stale_version_when_saved_then_concurrent_update_and_nothing_changes(self, stores):
        repo = stores.espaces
        repo.save(an_espace(1))
        first, second = repo.get("esp-0001"), repo.get("esp-0001")
        first.code_attempts = 1
        repo.save(first)
        assert first.version == 2

        second.code_attempts = 5
        with pytest.raises(ConcurrentUpdate):
            repo.save(second)
        with pytest.raises(ConcurrentUpdate):
            repo.save(an_espace(1))  # version 0 = must not exist yet
        with pytest.raises(ConcurrentUpdate):
            repo.save(an_espace(2, version=3))  # never stored
        assert repo.get("esp-0001").code_attempts == 1
        assert repo.get("esp-0002") is None

    def test_given_known_people_when_added_again_then_they_are_not_overwritten(self, stores):
        """BR-04: a re-import cannot reset a notified person."""
        repo = stores.espaces
        assert repo.add_new([an_espace(1), an_espace(2)]) == 2
        person = repo.get("esp-0001")
        notify(person, NOW)
        repo.save(person)

        assert repo.add_new([an_espace(1), an_espace(2), an_espace(3)]) == 1
        assert repo.get("esp-0001").status == Status.NOTIFIED
        assert repo.get("esp-0003").version == 1

    def test_given_people_sharing_a_nir_when_found_by_nir_hmac_then_all_of_them(self, stores):
        """BR-02: one NIR may cover several people; lookup by HMAC only."""
        twin_a = an_espace(1, nir_hmac="shared", birth_date=date(2010, 5, 5))
        twin_b = an_espace(2, nir_hmac="shared", birth_date=date(2010, 5, 5))
        stores.espaces.add_new([twin_a, twin_b, an_espace(3)])

        found = stores.espaces.find_by_nir("shared")

        assert sorted(e.espace_id for e in found) == ["esp-0001", "esp-0002"]
        assert stores.espaces.find_by_nir("unknown") == []
        assert [e.espace_id for e in stores.espaces.get_many(["esp-0003", "nobody", "esp-0001"])] \
            in (["esp-0003", "esp-0001"], ["esp-0001", "esp-0003"])

    def test_given_children_when_listed_by_guardian_then_their_ids(self, stores):
        """BR-16: a guardian sees the espaces of their children."""
        contact = Contact(name="Parent", email="parent@example.org")
        stores.espaces.add_new([an_espace(1), an_espace(2, guardian_id="esp-0001", guardian_contact=contact),
                                an_espace(3, guardian_id="esp-0001", guardian_contact=contact)])

        assert sorted(stores.espaces.children_of("esp-0001")) == ["esp-0002", "esp-0003"]
        assert stores.espaces.children_of("esp-0002") == []

    # -- the wave index -----------------------------------------------------------------------
    def test_given_pending_people_when_paged_by_shard_and_department_then_each_exactly_once(self, stores):
        """BR-05 / section 8: the wave reads the sparse pending index shard by shard, page by page."""
        repo = stores.espaces
        people = [an_espace(i, department="44" if i % 3 else "2A") for i in range(40)]
        repo.add_new(people)
        for i in (1, 2):  # notified people leave the pending index
            espace = repo.get(f"esp-{i:04d}")
            repo.save(notify(espace, NOW))

        for department in ("44", "2A", None):
            seen: list[str] = []
            for shard in range(8):
                for page in pages(lambda limit, start, s=shard, d=department: repo.pending_page(s, d, limit, start), 3):
                    for espace in page:
                        assert shard_of(espace.espace_id, 8) == shard
                        assert espace.status == Status.PENDING and espace.version == 1
                        seen.append(espace.espace_id)
            expected = {e.espace_id for e in people if department in (None, e.department)} - {"esp-0001", "esp-0002"}
            assert sorted(seen) == sorted(expected)

    def test_given_a_page_claimed_when_one_changed_meanwhile_then_it_is_left_out(self, stores):
        """BR-05: the claim is conditioned on the version read; a concurrently changed espace is not claimed."""
        repo = stores.espaces
        repo.add_new([an_espace(i) for i in range(6)])
        page = [e for s in range(8) for e in repo.pending_page(s, "44", 99, None).items]
        assert len(page) == 6
        changed = repo.get(page[0].espace_id)
        changed.code_attempts = 1
        repo.save(changed)  # someone else wrote it after our read
        gone = repo.get(page[1].espace_id)
        repo.save(notify(gone, NOW - timedelta(hours=1)))  # another wave claimed it

        transitioned = [notify(dataclasses.replace(e), NOW) for e in page]
        claimed = repo.claim_for_wave(transitioned, WaveBatch("batch-1", [e.espace_id for e in page], NOW))

        assert sorted(claimed) == sorted(e.espace_id for e in page[2:])
        assert [(b.batch_id, sorted(b.espace_ids), b.claimed_at) for b in repo.inflight_batches()] == \
            [("batch-1", sorted(claimed), NOW)]
        assert repo.get(page[0].espace_id).status == Status.PENDING
        assert repo.get(page[1].espace_id).notified_at == NOW - timedelta(hours=1)
        for espace_id in claimed:
            after = repo.get(espace_id)
            assert (after.status, after.code_seq, after.version) == (Status.NOTIFIED, 1, 2)
        assert all(e.version == 2 for e in transitioned if e.espace_id in claimed)
        still_pending = [e.espace_id for s in range(8) for e in repo.pending_page(s, None, 99, None).items]
        assert still_pending == [page[0].espace_id]

        repo.finish_batch("batch-1")
        assert repo.inflight_batches() == []

    def test_given_everyone_changed_when_claimed_then_nothing_is_claimed_and_no_batch_is_left(self, stores):
        repo = stores.espaces
        repo.add_new([an_espace(1)])
        read = repo.get("esp-0001")
        repo.save(notify(repo.get("esp-0001"), NOW))

        assert repo.claim_for_wave([notify(read, NOW)], WaveBatch("batch-x", ["esp-0001"], NOW)) == []
        assert repo.inflight_batches() == []

    # -- the due index ------------------------------------------------------------------------
    def _population_for_due(self, repo) -> None:
        long_ago = NOW - timedelta(days=50)
        repo.add_new([an_espace(i) for i in range(20)])
        for i in range(12):  # notified 50 days ago: due
            repo.save(notify(repo.get(f"esp-{i:04d}"), long_ago + timedelta(minutes=i)))
        for i in (12, 13):  # notified yesterday: not due
            repo.save(notify(repo.get(f"esp-{i:04d}"), NOW - timedelta(days=1)))
        opposed = repo.get("esp-0000")
        opposed.status, opposed.opposed_at = Status.OPPOSED, long_ago + timedelta(days=1)
        repo.save(opposed)
        active = repo.get("esp-0001")
        active.status, active.activated_at = Status.ACTIVE, long_ago + timedelta(days=2)
        repo.save(active)

    def test_given_notified_people_when_due_ids_then_only_notified_with_deadline_passed(self, stores):
        """BR-08: automatic creation reads only the due, still-notified people (keys only)."""
        repo = stores.espaces
        self._population_for_due(repo)

        seen = []
        for shard in range(8):
            for page in pages(lambda limit, start, s=shard: repo.due_ids(s, NOW, limit, start), 2):
                seen.extend(page)
                assert all(shard_of(i, 8) == shard for i in page)

        assert sorted(seen) == [f"esp-{i:04d}" for i in range(2, 12)]

    def test_given_a_mixed_list_when_mark_created_then_only_the_due_notified_are_created(self, stores):
        """BR-08: exactly once, never an opposed one, never before the deadline."""
        repo = stores.espaces
        self._population_for_due(repo)
        ids = ["esp-0000", "esp-0001", "esp-0002", "esp-0003", "esp-0012", "esp-0019"]

        assert repo.mark_created(ids, NOW) == 2
        assert repo.mark_created(ids, NOW) == 0

        statuses = {i: repo.get(i).status for i in ids}
        assert statuses == {"esp-0000": Status.OPPOSED, "esp-0001": Status.ACTIVE, "esp-0002": Status.CREATED,
                            "esp-0003": Status.CREATED, "esp-0012": Status.NOTIFIED, "esp-0019": Status.PENDING}
        created = repo.get("esp-0002")
        assert (created.created_at, created.version) == (NOW, 3)
        assert "esp-0002" not in [i for s in range(8) for i in repo.due_ids(s, NOW, 100, None).items]
        assert repo.mark_created(["nobody"], NOW) == 0

    def test_given_now_exactly_the_deadline_when_mark_created_then_not_yet_created(self, stores):
        """BR-07/BR-08: at the deadline itself opposition is still allowed, so creation must wait."""
        repo = stores.espaces
        repo.add_new([an_espace(1)])
        repo.save(notify(repo.get("esp-0001"), NOW - timedelta(days=42)))

        assert [i for s in range(8) for i in repo.due_ids(s, NOW, 100, None).items] == []
        assert repo.mark_created(["esp-0001"], NOW) == 0

    # -- credentials --------------------------------------------------------------------------
    def test_given_a_new_login_when_activated_then_credential_and_espace_are_written_together(self, stores):
        """BR-10: login unique; the espace is saved under its version condition in the same transaction."""
        repo = stores.espaces
        repo.add_new([an_espace(1), an_espace(2)])
        espace = repo.get("esp-0001")
        espace.status, espace.login = Status.ACTIVE, "alice.martin"

        stores.credentials.activate(espace, Credential("alice.martin", "esp-0001", "hash-1"))

        assert stores.credentials.get("alice.martin") == Credential("alice.martin", "esp-0001", "hash-1")
        assert espace.version == 2 and repo.get("esp-0001").status == Status.ACTIVE
        assert stores.credentials.get("nobody.here") is None

        other = repo.get("esp-0002")
        other.status = Status.ACTIVE
        with pytest.raises(LoginTaken):
            stores.credentials.activate(other, Credential("alice.martin", "esp-0002", "hash-2"))
        assert repo.get("esp-0002").status == Status.PENDING
        assert stores.credentials.get("alice.martin").espace_id == "esp-0001"

    def test_given_a_stale_espace_when_activated_then_concurrent_update_and_no_login(self, stores):
        repo = stores.espaces
        repo.add_new([an_espace(1)])
        stale = repo.get("esp-0001")
        fresh = repo.get("esp-0001")
        fresh.code_attempts = 2
        repo.save(fresh)
        stale.status = Status.ACTIVE

        with pytest.raises(ConcurrentUpdate):
            stores.credentials.activate(stale, Credential("bob.martin", "esp-0001", "hash"))
        assert stores.credentials.get("bob.martin") is None
        assert repo.get("esp-0001").status == Status.PENDING

    # -- ephemeral store ----------------------------------------------------------------------
    def test_given_a_challenge_when_read_then_round_trip_attempts_and_single_consumption(self, stores):
        """BR-11: a one-time code is bound to its challenge, counts its tries, is used once."""
        store = stores.ephemeral
        challenge = Challenge("ch-1", "activation", "esp-0001", NOW + timedelta(minutes=10),
                              {"email": "h1", "sms": "h2"}, data={"login": "x", "seq": 1})
        store.put_challenge(challenge)

        assert store.get_challenge("ch-1") == challenge
        assert store.get_challenge("ch-2") is None
        assert [store.record_attempt("ch-1") for _ in range(3)] == [1, 2, 3]
        assert store.get_challenge("ch-1").attempts == 3
        assert [store.take_attempt("ch-1", 5) for _ in range(3)] == [True, True, False]  # BR-11: 5 tries
        assert store.get_challenge("ch-1").attempts == 5
        assert store.take_attempt("ch-unknown", 5) is False
        assert store.consume_challenge("ch-1") is True
        assert store.consume_challenge("ch-1") is False
        assert store.get_challenge("ch-1").used is True
        assert store.consume_challenge("ch-unknown") is False

    def test_given_a_revoked_token_when_checked_then_revoked_and_others_not(self, stores):
        """BR-11: logout revokes the token's jti."""
        stores.ephemeral.revoke_token("jti-1", NOW + timedelta(minutes=15))

        assert stores.ephemeral.is_revoked("jti-1") is True
        assert stores.ephemeral.is_revoked("jti-2") is False

    def test_given_hits_when_counted_then_fixed_windows_per_key(self, stores):
        """BR-12: rate limits are fixed-window counters."""
        store = stores.ephemeral
        start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # an hour boundary

        assert [store.hit("login-fail:a", 3600, start + timedelta(minutes=m)) for m in (0, 10, 59)] == [1, 2, 3]
        assert store.count("login-fail:a", 3600, start + timedelta(minutes=30)) == 3
        assert store.count("login-fail:b", 3600, start) == 0
        assert store.count("login-fail:a", 3600, start + timedelta(hours=1)) == 0
        assert store.hit("login-fail:a", 3600, start + timedelta(hours=1)) == 1

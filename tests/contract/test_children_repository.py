"""Contract for the children additions (BR-16, BR-18): the fake and the DynamoDB adapter agree on
the second representative, the handover fields and the sparse `by_majority` index."""

from __future__ import annotations

from datetime import date, timedelta

from mes.domain.espace import Status
from tests.contract.test_repositories import NOW, an_espace, pages, stores  # noqa: F401 - the fixture


class TestChildrenContract:
    def test_the_handover_fields_survive_a_round_trip(self, stores):  # noqa: F811
        child = an_espace(1, guardian_id="esp-g", representative_id="esp-r", handover_notice_pending=True,
                          handed_over_at=NOW, birth_date=date(2012, 2, 29))
        stores.espaces.add_new([child])
        got = stores.espaces.get(child.espace_id)
        assert (got.representative_id, got.handover_notice_pending, got.handed_over_at) == ("esp-r", True, NOW)
        assert stores.espaces.get(an_espace(2).espace_id) is None
        stores.espaces.add_new([an_espace(2)])
        adult = stores.espaces.get(an_espace(2).espace_id)
        assert (adult.representative_id, adult.handover_notice_pending, adult.handed_over_at) == (None, False, None)

    def test_children_of_lists_the_guardians_and_the_representatives_children(self, stores):  # noqa: F811
        stores.espaces.add_new([an_espace(1, guardian_id="esp-a"), an_espace(2, guardian_id="esp-b",
                                                                          representative_id="esp-a"),
                                an_espace(3, guardian_id="esp-b")])
        assert sorted(stores.espaces.children_of("esp-a")) == ["esp-0001", "esp-0002"]
        assert sorted(stores.espaces.children_of("esp-b")) == ["esp-0002", "esp-0003"]
        assert stores.espaces.children_of("esp-c") == []

    def test_majority_due_ids_reads_only_managed_espaces_of_age_each_once(self, stores):  # noqa: F811
        today = date(2028, 5, 10)
        due = [an_espace(i, guardian_id="esp-g", birth_date=date(2010, 5, 10) - timedelta(days=i % 3))
               for i in range(1, 31)]
        not_yet = [an_espace(100 + i, guardian_id="esp-g", birth_date=date(2010, 5, 11) + timedelta(days=i))
                   for i in range(5)]
        adults = [an_espace(200 + i, birth_date=date(1990, 1, 1)) for i in range(5)]
        notice = [an_espace(300, birth_date=date(2009, 1, 1), handover_notice_pending=True)]
        purged = [an_espace(400, guardian_id="esp-g", birth_date=date(2009, 1, 1), status=Status.PURGED)]
        stores.espaces.add_new(due + not_yet + adults + notice + purged)
        found = []
        for shard in range(8):
            for page in pages(lambda limit, start, s=shard: stores.espaces.majority_due_ids(s, today, limit, start), 7):
                found.extend(page)
        assert sorted(found) == sorted(e.espace_id for e in due + notice)
        # the handover removes the espace from the index
        first = stores.espaces.get(due[0].espace_id)
        first.guardian_id, first.guardian_contact = None, None
        stores.espaces.save(first)
        left = [i for s in range(8) for i in stores.espaces.majority_due_ids(s, today, 100, None).items]
        assert due[0].espace_id not in left and len(left) == len(due) + len(notice) - 1

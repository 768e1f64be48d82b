"""Contract (BR-21): the in-memory reimbursement repository (tests/fakes_export.py) and the DynamoDB
adapter (moto, table built from template.yaml) behave the same."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from mes.domain.reimbursements import Reimbursement
from tests.fakes_export import FakeReimbursementRepository

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["fake", "dynamo"])
def repo(request):
    if request.param == "fake":
        return FakeReimbursementRepository()
    return request.getfixturevalue("aws").reimbursements


def item(espace_id: str, i: int, care: date) -> Reimbursement:
    return Reimbursement(espace_id=espace_id, reimbursement_id=f"{i:032x}", care_date=care, act_label=f"Acte {i}",
                         professional_name=None if i % 2 else "Dr X", amount_paid=1000 + i, amount_reimbursed=700,
                         imported_at=NOW)


def sk(r: Reimbursement) -> tuple[str, str]:
    return (r.espace_id, f"{r.care_date.isoformat()}#{r.reimbursement_id}")


def test_existing_ids_add_list_purge_export(repo):
    items = [item("esp-1", i, date(2026, 2, 1) - timedelta(days=5 * i)) for i in range(23)]
    items.append(item("esp-2", 99, date(2026, 2, 1)))
    assert repo.existing_ids([sk(r) for r in items]) == set()
    repo.add(items[:10])
    assert repo.existing_ids([sk(r) for r in items]) == {sk(r) for r in items[:10]}
    repo.add(items)  # the same ids again: still one item each
    collected, cursor = [], None
    while True:
        page = repo.list("esp-1", since=date(2025, 1, 1), until=None, limit=10, cursor=cursor)
        assert len(page.items) <= 10
        collected += page.items
        cursor = page.next_key
        if not cursor:
            break
    assert collected == sorted(items[:23], key=lambda r: r.care_date, reverse=True)
    ranged = repo.list("esp-1", since=date(2025, 12, 1), until=date(2026, 1, 2), limit=100, cursor=None).items
    assert [r.care_date for r in ranged] == [date(2026, 1, 2) - timedelta(days=5 * i) for i in range(7)]
    exported = repo.export_espace("esp-1")
    assert [e["id"] for e in exported] == [r.reimbursement_id for r in collected]
    assert exported[0] == {"id": f"{0:032x}", "care_date": "2026-02-01", "act_label": "Acte 0",
                           "professional_name": "Dr X", "amount_paid": "10.00", "amount_reimbursed": "7.00",
                           "currency": "EUR"}
    assert repo.purge_espace("esp-1") == 23
    assert repo.export_espace("esp-1") == [] and len(repo.export_espace("esp-2")) == 1

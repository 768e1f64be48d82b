"""Reading an espace: one's own or a child's one manages (BR-16); anything else is "not found"."""

from __future__ import annotations

import pytest

from mes.domain.errors import NotFound
from mes.domain.espace import Status
from mes.services.espaces import get_espace, get_summary, resolve
from mes.services.population import import_population
from tests.fakes import person, rows

PARENT, OTHER = person(1), person(3)
CHILD = person(2, guardian=PARENT)


@pytest.fixture
def family(system, clock):
    import_population(rows(PARENT, CHILD, OTHER), repo=system.repo, keys=system.keys, now=clock())
    return {e.first_name: e.espace_id for e in system.repo.items.values()}


def test_given_a_guardian_when_reading_then_own_espace_with_children_and_the_childs(system, family):
    """BR-16: the guardian reads and manages the child's espace from their own login."""
    claims = {"sub": family["Prenom1"]}

    own, children = get_espace(system.repo, claims, "me")
    child, grandchildren = get_espace(system.repo, claims, family["Prenom2"])

    assert own.espace_id == family["Prenom1"] and children == [family["Prenom2"]]
    assert child.guardian_id == family["Prenom1"] and grandchildren == []


def test_given_a_guardian_when_reading_the_summary_then_the_children_come_with_their_first_names(system, family):
    """WEB.md 13: the switch "Espace de PRÉNOM" needs each child's first name; one read of them all."""
    claims = {"sub": family["Prenom1"]}
    system.repo.calls.clear()

    own, children = get_summary(system.repo, claims, "me")

    assert own.espace_id == family["Prenom1"]
    assert [(c.espace_id, c.first_name) for c in children] == [(family["Prenom2"], "Prenom2")]
    assert system.repo.calls.count("get_many") == 1
    system.repo.calls.clear()
    assert get_summary(system.repo, {"sub": family["Prenom3"]}, "me")[1] == []
    assert "get_many" not in system.repo.calls  # no child, no read


@pytest.mark.parametrize("reader, target", [("Prenom3", "Prenom1"), ("Prenom3", "Prenom2"), ("Prenom2", "Prenom1")])
def test_given_someone_else_when_reading_then_not_found(system, family, reader, target):
    """No enumeration: another person's espace is simply "not found"."""
    with pytest.raises(NotFound):
        resolve(system.repo, {"sub": family[reader]}, family[target])
    with pytest.raises(NotFound):
        resolve(system.repo, {"sub": family[reader]}, "no-such-espace")


def test_given_a_purged_espace_when_reading_then_not_found(system, family):
    espace = system.repo.get(family["Prenom1"])
    espace.status = Status.PURGED
    system.repo.save(espace)
    with pytest.raises(NotFound):
        resolve(system.repo, {"sub": family["Prenom1"]}, "me")

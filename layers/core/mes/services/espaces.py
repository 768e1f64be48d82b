"""Reading an espace: one's own, or a child's one manages (BR-16). Anything else is 'not found'.

The one place that answers "may this login act on this espace": the guardian on file or the invited
second representative (`mes.domain.children.manages`), read from the child's espace itself (one
GetItem, no second lookup). Their access ends with the handover at 18 (BR-18), which removes both."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mes.domain import children as family
from mes.domain.errors import NotFound
from mes.domain.espace import Espace, Status
from mes.ports import EspaceRepository


@dataclass(frozen=True)
class Acting:
    """The espace a request acts on, and whether the caller acts as a legal representative (BR-17:
    documents hidden from representatives are then neither listed nor read)."""

    espace_id: str
    as_representative: bool = False


UNREADABLE = (Status.PURGED, Status.CLOSED, Status.SUSPENDED)


def resolve(repo: EspaceRepository, claims: dict[str, Any], espace_id: str) -> Espace:
    own = claims["sub"]
    target = own if espace_id == "me" else espace_id
    espace = repo.get(target)
    if espace is None or (target != own and not family.manages(espace, own)):
        raise NotFound()
    if espace.status in UNREADABLE:  # BR-14/15: a child's closed espace too
        raise NotFound()
    return espace


def resolve_acting(repo: EspaceRepository, claims: dict[str, Any], espace_id: str) -> Acting:
    """No read for the caller's own espace (the token is checked and revocable; closure revokes every
    token), one read for a child's (the representative check)."""
    own = claims["sub"]
    if espace_id in ("me", own):
        return Acting(own)
    espace = resolve(repo, claims, espace_id)
    return Acting(espace.espace_id, as_representative=family.is_representative_only(espace, own))


def resolve_id(repo: EspaceRepository, claims: dict[str, Any], espace_id: str) -> str:
    """The espace id the caller may act on (see `resolve_acting`)."""
    return resolve_acting(repo, claims, espace_id).espace_id


def get_espace(repo: EspaceRepository, claims: dict[str, Any], espace_id: str) -> tuple[Espace, list[str]]:
    espace = resolve(repo, claims, espace_id)
    children = repo.children_of(espace.espace_id) if not family.is_managed(espace) else []
    return espace, children


def get_summary(repo: EspaceRepository, claims: dict[str, Any], espace_id: str) -> tuple[Espace, list[Espace]]:
    """GET /espaces/{id}: the espace and the children it manages (BR-16), in the order of
    `children_of`, read together in one BatchGetItem so that their first names come with the summary
    (the web page's switch "Espace de PRÉNOM") instead of one request per child."""
    espace, ids = get_espace(repo, claims, espace_id)
    found = {child.espace_id: child for child in repo.get_many(ids)} if ids else {}
    # A child's espace the guardian cannot open (closed, suspended, purged: 404 from `resolve`) is left out.
    return espace, [found[i] for i in ids if i in found and found[i].status not in UNREADABLE]

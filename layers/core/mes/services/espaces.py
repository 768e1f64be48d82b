"""Reading an espace: one's own, or a child's one manages (BR-16). Anything else is 'not found'."""

from __future__ import annotations

from typing import Any

from mes.domain.errors import NotFound
from mes.domain.espace import Espace, Status
from mes.ports import EspaceRepository


def resolve(repo: EspaceRepository, claims: dict[str, Any], espace_id: str) -> Espace:
    own = claims["sub"]
    target = own if espace_id == "me" else espace_id
    espace = repo.get(target)
    if espace is None or (target != own and espace.guardian_id != own):
        raise NotFound()
    if espace.status in (Status.PURGED, Status.CLOSED, Status.SUSPENDED):  # BR-14/15: a child's closed espace too
        raise NotFound()
    return espace


def resolve_id(repo: EspaceRepository, claims: dict[str, Any], espace_id: str) -> str:
    """The espace id the caller may act on, with no read for their own espace (the token is checked
    and revocable; closure revokes every token), one read for a child's (the guardian check)."""
    own = claims["sub"]
    if espace_id in ("me", own):
        return own
    return resolve(repo, claims, espace_id).espace_id


def get_espace(repo: EspaceRepository, claims: dict[str, Any], espace_id: str) -> tuple[Espace, list[str]]:
    espace = resolve(repo, claims, espace_id)
    children = repo.children_of(espace.espace_id) if not espace.is_child else []
    return espace, children

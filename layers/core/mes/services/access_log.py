"""The access log's writer, shared by every use case a professional drives (documents, profile,
messages, children): the patient looked up by INS, one record per request (BR-35) and the
holder's notice at each access (BR-36)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from mes.domain.errors import NotFound
from mes.domain.espace import Espace, Status
from mes.domain.identity import normalise_nir
from mes.domain.keys import Keys
from mes.domain.professionals import ProIdentity
from mes.domain.texts import french_date
from mes.ports import AccessRepository, EspaceRepository, Notifier


class AccessLogDeps(Protocol):
    """What the writer needs of a use case's dependencies (`ProDeps` has it)."""

    @property
    def espaces(self) -> EspaceRepository: ...
    @property
    def access(self) -> AccessRepository: ...
    @property
    def notifier(self) -> Notifier: ...
    @property
    def keys(self) -> Keys: ...
    @property
    def template_name(self) -> Callable[[str], str]: ...


@dataclass(frozen=True)
class RequestRef:
    """Identifies one HTTP request: the same request retried gives the same log record (BR-35)."""

    request_id: str
    at: datetime
    channel: str = "api"  # "api" (the JSON routes) | "fhir" (the FHIR facade), shown to the holder

    def key(self, *parts: str | None) -> str:
        """The request's identity for put-once writes: who asked (RPPS) + Idempotency-Key (or API
        Gateway's request id), never the time, which a retry does not keep."""
        text = "|".join(p or "" for p in (*parts, self.request_id))
        return hashlib.sha256(text.encode()).hexdigest()[:40]


def find_patient(deps: AccessLogDeps, ins: str) -> Espace:
    """The INS is the patient's own NIR (BR-01); only created or active espaces exist for professionals."""
    nir = normalise_nir(ins)
    people = [e for e in deps.espaces.find_by_nir(deps.keys.nir_hmac(nir))
              if e.status in (Status.CREATED, Status.ACTIVE)]
    adults = [e for e in people if not e.is_child]
    chosen = people if len(people) <= 1 else adults
    if len(chosen) != 1:
        raise NotFound()
    return chosen[0]


def pro_identity(ps: ProIdentity) -> dict[str, Any]:
    """What the log and the holder's views show of a professional (from the token, BR-28)."""
    return {"profession": ps.profession, "structure": ps.structure, "name": ps.name}


def log_access(deps: AccessLogDeps, espace: Espace, ps: ProIdentity, req: RequestRef, action: str, decision: str,
               mode: str | None = None, target: str | None = None) -> bool:
    """One record per request (BR-35). The key holds what happened too: a request refused, then retried
    once the holder consented, is two events and keeps two records, and so is a retried deposit that
    created a second document (another target); a plain retry writes nothing. True if this request was
    not logged before: what follows from a new access (the holder's notice) happens once."""
    return deps.access.log(espace.espace_id, req.key(ps.rpps, action, decision, mode, target), req.at, {
        "rpps": ps.rpps, **pro_identity(ps), "action": action, "decision": decision, "mode": mode, "target": target,
        "channel": req.channel})


def notify_access(deps: AccessLogDeps, espace: Espace, when: datetime) -> None:
    """BR-36: at each access, per the holder's preference, without health data."""
    if espace.status != Status.ACTIVE or not espace.settings.notifications.get("accesses", True):
        return
    email = espace.delivery_contact().email if espace.is_child else espace.email
    if email:
        deps.notifier.send_templated(deps.template_name("access-notice"), email,
                                     {"first_name": espace.first_name, "at": french_date(when)})

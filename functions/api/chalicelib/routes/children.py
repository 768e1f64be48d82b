"""Children and legal representatives (BR-16, BR-17): attach a child's espace to the guardian's
login, invite or remove the second legal representative, and (PS token) make a document visible to
the representatives again."""

from __future__ import annotations

from chalice import Blueprint

from mes.domain.professionals import ProIdentity
from mes.services import children
from mes.services.professionals import RequestRef

from ..models.children import (
    ChildAttachRequest,
    ProDocumentPatch,
    RepresentativeCreated,
    RepresentativeRequest,
)
from ..models.documents import DocumentOut
from ..models.espaces import EspaceResponse
from ..routing import get_container, route

bp = Blueprint(__name__)


@route(bp, "/espaces/me/children", "POST", auth="holder", body=ChildAttachRequest, response=EspaceResponse,
       status=201, errors=(400, 401, 409, 410, 429))
def attach_child(claims: dict, body: ChildAttachRequest) -> EspaceResponse:
    """The guardian activates their child's espace with the child's code; it is managed from their login."""
    c = get_container()
    child = children.attach_child(c.account_deps(), claims, nir=body.nir, birth_date=body.birth_date,
                                  vitale_serial=body.vitale_serial, code=body.code, now=c.clock())
    return EspaceResponse.from_domain(child)


@route(bp, "/espaces/{espace_id}/representatives", "POST", auth="holder", body=RepresentativeRequest,
       response=RepresentativeCreated, status=201, errors=(400, 401, 403, 404, 409, 429))
def invite_representative(claims: dict, espace_id: str, body: RepresentativeRequest) -> RepresentativeCreated:
    """The guardian invites the child's second legal representative (who must hold an active espace)."""
    c = get_container()
    person = children.invite_representative(c.espaces, c.keys, claims, espace_id, nir=body.nir,
                                            birth_date=body.birth_date, now=c.clock(), ephemeral=c.ephemeral)
    return RepresentativeCreated.from_domain(person)


@route(bp, "/espaces/{espace_id}/representatives/{representative_id}", "DELETE", auth="holder", status=204,
       errors=(401, 404, 409))
def remove_representative(claims: dict, espace_id: str, representative_id: str) -> None:
    """The guardian removes the second representative, or the representative withdraws themself."""
    children.remove_representative(get_container().espaces, claims, espace_id, representative_id)


@route(bp, "/pro/patients/{ins}/documents/{document_id}", "PATCH", auth="pro", body=ProDocumentPatch,
       response=DocumentOut, errors=(400, 401, 404, 409))
def reveal_document(ps: ProIdentity, req: RequestRef, ins: str, document_id: str,
                    body: ProDocumentPatch) -> DocumentOut:
    """The author makes a document visible to the minor's legal representatives again (irreversible)."""
    document = children.reveal_to_representatives(get_container().pro_deps(), ps, ins, document_id,
                                                  body.hidden_from_representatives, req)
    return DocumentOut.from_domain(document)

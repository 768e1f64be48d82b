"""Professionals' routes (PS token from Pro Santé Connect). Every decision is taken by
mes.domain.access through mes.services.professionals; each action is logged once (BR-35)."""

from __future__ import annotations

from chalice import Blueprint

from mes.domain.professionals import ProIdentity
from mes.services import professionals as pro
from mes.services.professionals import RequestRef

from ..models.access import AccessLog
from ..models.common import ListQuery
from ..models.documents import DocumentCreated, DocumentDetail, DocumentList
from ..models.professionals import (
    AuthorisationOut,
    AuthorisationRequest,
    EmergencyOut,
    EmergencyRequest,
    Notices,
    ProDocumentListQuery,
    ProDocumentUploadRequest,
)
from ..routing import get_container, route

bp = Blueprint(__name__)


def deps() -> pro.ProDeps:
    return get_container().pro_deps()


@route(bp, "/pro/patients/{ins}/authorisations", "POST", auth="pro", body=AuthorisationRequest,
       response=AuthorisationOut, status=201, errors=(400, 401, 403, 404))
def authorise(ps: ProIdentity, req: RequestRef, ins: str, body: AuthorisationRequest) -> AuthorisationOut:
    """Record the patient's consent (or care-team membership); the first one notifies the holder (BR-30)."""
    first = pro.authorise(deps(), ps, ins, body.basis, req)
    return AuthorisationOut(basis=body.basis, first=first)


@route(bp, "/pro/patients/{ins}/documents", "GET", auth="pro", query=ProDocumentListQuery, response=DocumentList,
       errors=(400, 401, 403, 404))
def list_documents(ps: ProIdentity, req: RequestRef, ins: str, query: ProDocumentListQuery) -> DocumentList:
    """Documents filtered by the access matrix, masking, hiding, blocks and authorisation (`status`: BR-24)."""
    page = pro.list_documents(deps(), ps, ins, category=query.category, limit=query.limit, cursor=query.cursor,
                              req=req, statuses=query.statuses)
    return DocumentList.from_domain(page)


@route(bp, "/pro/patients/{ins}/documents/{document_id}", "GET", auth="pro", response=DocumentDetail,
       errors=(401, 403, 404))
def get_document(ps: ProIdentity, req: RequestRef, ins: str, document_id: str) -> DocumentDetail:
    """Metadata and a short-lived download, if this professional may see the document."""
    document, download = pro.get_document(deps(), ps, ins, document_id, req)
    return DocumentDetail.from_domain(document, download=download)


@route(bp, "/pro/patients/{ins}/documents", "POST", auth="pro", body=ProDocumentUploadRequest,
       response=DocumentCreated, status=201, errors=(400, 401, 403, 404, 409, 422, 429))
def deposit(ps: ProIdentity, req: RequestRef, ins: str, body: ProDocumentUploadRequest) -> DocumentCreated:
    """Deposit a document (no read consent needed), hidden from the holder (BR-26), replacing one (BR-24)."""
    document, upload = pro.deposit(deps(), ps, ins, title=body.title, category=body.category,
                                   filename=body.filename, content_type=body.content_type, size=body.size,
                                   hidden_from_holder=body.hidden_from_holder, req=req,
                                   hidden_from_representatives=body.hidden_from_representatives, replaces=body.replaces)
    return DocumentCreated.from_domain(document, upload)


@route(bp, "/pro/patients/{ins}/documents/{document_id}", "DELETE", auth="pro", status=204,
       errors=(401, 404))
def withdraw(ps: ProIdentity, req: RequestRef, ins: str, document_id: str) -> None:
    """Withdraw one's own deposit (entered-in-error)."""
    pro.withdraw(deps(), ps, ins, document_id, req)


@route(bp, "/pro/patients/{ins}/emergency-access", "POST", auth="pro", body=EmergencyRequest,
       response=EmergencyOut, status=201, errors=(400, 401, 403, 404))
def emergency(ps: ProIdentity, req: RequestRef, ins: str, body: EmergencyRequest) -> EmergencyOut:
    """Emergency access for 24 hours, unless the holder refused that mode (BR-34)."""
    until = pro.open_emergency(deps(), ps, ins, body.mode, body.reason, req)
    return EmergencyOut.from_domain(body.mode, until)


@route(bp, "/pro/patients/{ins}/access-log", "GET", auth="pro", query=ListQuery, response=AccessLog,
       errors=(401, 403, 404))
def access_log(ps: ProIdentity, req: RequestRef, ins: str, query: ListQuery) -> AccessLog:
    """The access log, for the holder's administrator professional only (BR-32)."""
    page = pro.admin_access_log(deps(), ps, ins, query.limit, query.cursor, req)
    return AccessLog.from_domain(page)


@route(bp, "/pro/patients/{ins}/blocks/{rpps}", "PUT", auth="pro", status=204, errors=(400, 401, 403, 404))
def block(ps: ProIdentity, req: RequestRef, ins: str, rpps: str) -> None:
    """The administrator blocks another professional at the holder's request (BR-32)."""
    pro.admin_block(deps(), ps, ins, rpps, req)


@route(bp, "/pro/notifications", "GET", auth="pro", query=ListQuery, response=Notices, errors=(400, 401))
def notifications(ps: ProIdentity, req: RequestRef, query: ListQuery) -> Notices:
    """The professional's notices, newest first: emergency accesses on the patients it administers (BR-34)."""
    page = pro.professional_notices(deps(), ps, query.limit, query.cursor)
    return Notices.from_domain(page)

"""The holder's documents (BR-22 to BR-27) and settings. Bytes never pass through here: uploads and
downloads are presigned S3 requests."""

from __future__ import annotations

from chalice import Blueprint

from mes.services import documents

from ..models.documents import (
    DocumentCreated,
    DocumentDetail,
    DocumentList,
    DocumentListQuery,
    DocumentOut,
    DocumentPatch,
    DocumentUploadRequest,
    SettingsOut,
    SettingsPatch,
)
from ..routing import get_container, route

bp = Blueprint(__name__)


@route(bp, "/espaces/{espace_id}/documents", "POST", auth="holder", body=DocumentUploadRequest,
       response=DocumentCreated, status=201, errors=(400, 401, 404, 429))
def create_document(claims: dict, espace_id: str, body: DocumentUploadRequest) -> DocumentCreated:
    """Announce a document; the answer holds a short-lived presigned upload straight to S3 (BR-23)."""
    c = get_container()
    document, upload = documents.request_upload(
        c.document_deps(), claims, espace_id, title=body.title, category=body.category, filename=body.filename,
        content_type=body.content_type, size=body.size, now=c.clock())
    return DocumentCreated.from_domain(document, upload)


@route(bp, "/espaces/{espace_id}/documents", "GET", auth="holder", query=DocumentListQuery,
       response=DocumentList, errors=(400, 401, 404))
def list_documents(claims: dict, espace_id: str, query: DocumentListQuery) -> DocumentList:
    """Newest first; everything but documents hidden from the holder (BR-26) and others' rejected
    uploads (the holder's own stay, with the reason, until deleted). One Query per page."""
    page = documents.list_documents(get_container().document_deps(), claims, espace_id, category=query.category,
                                    limit=query.limit, cursor=query.cursor)
    return DocumentList.from_domain(page)


@route(bp, "/espaces/{espace_id}/documents/{document_id}", "GET", auth="holder", response=DocumentDetail,
       errors=(401, 404))
def get_document(claims: dict, espace_id: str, document_id: str) -> DocumentDetail:
    """Metadata, and a short-lived download (as an attachment) once the document is available. An upload
    still pending 30 minutes after its announcement without its bytes is settled as rejected (issue 11)."""
    c = get_container()
    document, download = documents.get_document(c.document_deps(), claims, espace_id, document_id, now=c.clock())
    return DocumentDetail.from_domain(document, download=download)


@route(bp, "/espaces/{espace_id}/documents/{document_id}", "PATCH", auth="holder", body=DocumentPatch,
       response=DocumentOut, errors=(400, 401, 404, 409))
def patch_document(claims: dict, espace_id: str, document_id: str, body: DocumentPatch) -> DocumentOut:
    """Mask or unmask (hidden from professionals, BR-25)."""
    document = documents.set_masked(get_container().document_deps(), claims, espace_id, document_id, body.masked)
    return DocumentOut.from_domain(document)


@route(bp, "/espaces/{espace_id}/documents/{document_id}", "DELETE", auth="holder", status=204,
       errors=(401, 403, 404))
def delete_document(claims: dict, espace_id: str, document_id: str) -> None:
    """Delete a document one uploaded oneself (BR-24); others can only be masked."""
    documents.delete_document(get_container().document_deps(), claims, espace_id, document_id)


@route(bp, "/espaces/{espace_id}/settings", "GET", auth="holder", response=SettingsOut, errors=(401, 404))
def get_settings(claims: dict, espace_id: str) -> SettingsOut:
    """Emergency access modes, masking by default, one-time code channel, notifications."""
    return SettingsOut.from_domain(documents.get_settings(get_container().document_deps(), claims, espace_id))


@route(bp, "/espaces/{espace_id}/settings", "PATCH", auth="holder", body=SettingsPatch, response=SettingsOut,
       errors=(400, 401, 404))
def patch_settings(claims: dict, espace_id: str, body: SettingsPatch) -> SettingsOut:
    """Change some settings; absent fields are kept."""
    changes = body.model_dump(exclude_none=True)
    espace = documents.update_settings(get_container().document_deps(), claims, espace_id, changes)
    return SettingsOut.from_domain(espace)

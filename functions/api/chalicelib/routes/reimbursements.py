"""The holder's reimbursement history (BR-21): read-only, imported from the insurer."""

from __future__ import annotations

from chalice import Blueprint

from mes.services import reimbursements

from ..models.reimbursements import ReimbursementList, ReimbursementQuery
from ..routing import get_container, route

bp = Blueprint(__name__)


@route(bp, "/espaces/{espace_id}/reimbursements", "GET", auth="holder", query=ReimbursementQuery,
       response=ReimbursementList, errors=(400, 401, 404))
def list_reimbursements(claims: dict, espace_id: str, query: ReimbursementQuery) -> ReimbursementList:
    """The last two years of reimbursements, newest first (`from`/`to`: care dates). One Query per page."""
    c = get_container()
    page = reimbursements.list_reimbursements(c.espaces, c.reimbursements, claims, espace_id, since=query.since,
                                              until=query.until, limit=query.limit, cursor=query.cursor,
                                              today=c.clock().date())
    return ReimbursementList.from_domain(page)

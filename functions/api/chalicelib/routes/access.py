"""The holder's side of consent (BR-31, BR-32, BR-35): access log, professionals, blocks, administrator."""

from __future__ import annotations

from chalice import Blueprint

from mes.services import professionals as pro
from mes.services.espaces import resolve_acting, resolve_id

from ..models.access import AccessLog, AdministratorRequest, Professionals
from ..models.common import ListQuery
from ..routing import get_container, route

bp = Blueprint(__name__)


def _target(claims: dict, espace_id: str) -> str:
    return resolve_id(get_container().espaces, claims, espace_id)


@route(bp, "/espaces/{espace_id}/access-log", "GET", auth="holder", query=ListQuery, response=AccessLog,
       errors=(400, 401, 404))
def access_log(claims: dict, espace_id: str, query: ListQuery) -> AccessLog:
    """Every professional action and refused attempt on the espace, newest first."""
    acting = resolve_acting(get_container().espaces, claims, espace_id)
    page = pro.holder_access_log(get_container().pro_deps(), acting.espace_id, query.limit, query.cursor,
                                 as_representative=acting.as_representative)
    return AccessLog.from_domain(page)


@route(bp, "/espaces/{espace_id}/professionals", "GET", auth="holder", response=Professionals,
       errors=(401, 404))
def professionals(claims: dict, espace_id: str) -> Professionals:
    """Professionals with an authorisation, a block, and the administrator."""
    return Professionals.from_domain(pro.holder_professionals(get_container().pro_deps(), _target(claims, espace_id)))


@route(bp, "/espaces/{espace_id}/professionals/{rpps}", "DELETE", auth="holder", status=204,
       errors=(400, 401, 404))
def withdraw(claims: dict, espace_id: str, rpps: str) -> None:
    """Withdraw a professional's authorisation (consent); it may ask again, unlike a block."""
    pro.holder_withdraw(get_container().pro_deps(), _target(claims, espace_id), rpps)


@route(bp, "/espaces/{espace_id}/blocks/{rpps}", "PUT", auth="holder", status=204, errors=(400, 401, 404))
def block(claims: dict, espace_id: str, rpps: str) -> None:
    """Block a professional: no access at all, even with consent, until unblocked (BR-31)."""
    c = get_container()
    pro.holder_block(c.pro_deps(), _target(claims, espace_id), rpps, True, c.clock())


@route(bp, "/espaces/{espace_id}/blocks/{rpps}", "DELETE", auth="holder", status=204, errors=(400, 401, 404))
def unblock(claims: dict, espace_id: str, rpps: str) -> None:
    """Unblock a professional."""
    c = get_container()
    pro.holder_block(c.pro_deps(), _target(claims, espace_id), rpps, False, c.clock())


@route(bp, "/espaces/{espace_id}/administrator", "PUT", auth="holder", body=AdministratorRequest, status=204,
       errors=(400, 401, 404))
def administrator(claims: dict, espace_id: str, body: AdministratorRequest) -> None:
    """Designate the administrator professional (the former DMP "médecin traitant", BR-32)."""
    c = get_container()
    pro.holder_set_administrator(c.pro_deps(), _target(claims, espace_id), body.rpps, c.clock())

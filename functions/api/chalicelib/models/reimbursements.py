"""Models of routes/reimbursements.py: the reimbursement history, read-only (BR-21)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from .common import Body, Cursor, Limit, Out

if TYPE_CHECKING:
    from mes.domain.reimbursements import Reimbursement
    from mes.ports import Page


class ReimbursementQuery(Body):
    """`from` and `to` are Python keywords: read through their aliases only."""

    since: str | None = Field(default=None, alias="from", max_length=10, pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
                              json_schema_extra={"format": "date"}, description="YYYY-MM-DD (care date, inclusive)")
    until: str | None = Field(default=None, alias="to", max_length=10, pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
                              json_schema_extra={"format": "date"}, description="YYYY-MM-DD (care date, inclusive)")
    cursor: Cursor | None = None
    limit: Limit | None = None


class ReimbursementOut(Out):
    id: str
    care_date: str
    act_label: str
    professional_name: str | None
    amount_paid: str = Field(description="euros, two decimals, e.g. 25.00")
    amount_reimbursed: str = Field(description="euros, two decimals")
    currency: Literal["EUR"]

    @classmethod
    def from_domain(cls, r: Reimbursement) -> ReimbursementOut:
        return cls(**r.as_dict())


class ReimbursementList(Out):
    items: list[ReimbursementOut]
    next_cursor: str | None

    @classmethod
    def from_domain(cls, page: Page) -> ReimbursementList:
        return cls(items=[ReimbursementOut.from_domain(r) for r in page.items], next_cursor=page.next_key)

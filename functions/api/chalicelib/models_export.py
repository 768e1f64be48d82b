"""Request and response models of the reimbursement history (BR-21) and the data export (issue #5)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .models import Body, Cursor, Download, Limit, Out, body_config


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


class ReimbursementList(Out):
    items: list[ReimbursementOut]
    next_cursor: str | None


class ExportRequest(Body):
    """No field: the archive holds everything (an empty body or `{}`; any field is refused)."""

    model_config = body_config({})


class ExportCreated(Out):
    export_id: str


class ExportOut(Out):
    export_id: str
    status: Literal["pending", "ready", "failed"]
    created_at: str
    expires_at: str
    download: Download | None = None

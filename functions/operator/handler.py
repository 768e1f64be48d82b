"""The operator's entry point (no HTTP route): direct invocation only (`aws lambda invoke`, or
`mes espace suspend|lift ESPACE_ID` locally).

Event: {"action": "suspend" | "lift", "espace_id": "...", "reason": "..."}. BR-15: suspending
revokes every session, informs the holder (e-mail) and starts the 6-week objection period; lifting
records an upheld objection (the holder contacts the insurer, 3422) and restores the espace.
Repeating an order changes nothing. The reason stays in the operator's ticketing, not in the logs."""

from __future__ import annotations

from typing import Any

from mes.bootstrap import Container, get_container
from mes.domain.errors import DomainError
from mes.observability import logger
from mes.settings import JobSettings

ACTIONS = ("suspend", "lift")


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any, deps: Container | None = None) -> dict[str, Any]:
    from mes.services import closure
    container = deps or get_container(JobSettings)
    action, espace_id = event.get("action"), event.get("espace_id")
    if action not in ACTIONS or not isinstance(espace_id, str) or not espace_id:
        return {"error": "validation_error", "detail": f"action must be one of {ACTIONS}, espace_id required"}
    if not isinstance(event.get("reason"), str) or not event["reason"].strip():
        return {"error": "validation_error", "detail": "reason required (ticket reference)"}
    now = container.clock()
    try:
        operate = closure.suspend if action == "suspend" else closure.lift
        return operate(container.closure_deps(), espace_id, now).as_dict()
    except DomainError as exc:
        return {"error": exc.code, "espace_id": espace_id}

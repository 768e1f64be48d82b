"""The mes API: one Chalice app (Handler: app.app), routes in blueprints, Powertools as middleware.

`holder_authorizer` and `enrolment_authorizer` are the API Gateway TOKEN authorizers (their own
functions in template.yaml): an edge filter on signature, audience and expiry. The views verify the
token again, with the revocation check, so behaviour is the same under any runtime."""

from __future__ import annotations

from typing import Any

from chalice import Chalice, ConvertToMiddleware

from chalicelib.routes import access, auth, children, documents, enrolment, espaces, professionals
from chalicelib.routes import closure as closure_routes
from chalicelib.routes import exports as export_routes
from chalicelib.routes import fhir as fhir_routes
from chalicelib.routes import messaging as messaging_routes
from chalicelib.routes import profile as profile_routes
from chalicelib.routes import reimbursements as reimbursement_routes
from chalicelib.routing import BINARY_TYPES
from mes.observability import logger

app = Chalice(app_name="mes")
app.api.binary_types = list(BINARY_TYPES)  # only the files the API answers (the opposition receipt's PDF)
app.register_middleware(ConvertToMiddleware(logger.inject_lambda_context(correlation_id_path="requestContext.requestId",
                                                                          clear_state=True)))
app.register_blueprint(enrolment.bp)
app.register_blueprint(auth.bp)
app.register_blueprint(espaces.bp)
app.register_blueprint(documents.bp)
app.register_blueprint(access.bp)
app.register_blueprint(professionals.bp)
app.register_blueprint(profile_routes.bp)
app.register_blueprint(messaging_routes.bp)
app.register_blueprint(children.bp)
app.register_blueprint(closure_routes.bp)
app.register_blueprint(reimbursement_routes.bp)
app.register_blueprint(export_routes.bp)
app.register_blueprint(fhir_routes.bp)


def _authorize(event: dict[str, Any], audience: str) -> dict[str, Any]:
    from chalicelib.routing import get_container
    from mes.domain.errors import DomainError

    token = str(event.get("authorizationToken", ""))
    scheme, _, value = token.partition(" ")
    try:
        if scheme.lower() != "bearer":
            raise ValueError
        container = get_container()
        claims = container.tokens.verify(value.strip(), audience, container.clock())
    except (DomainError, ValueError):
        raise Exception("Unauthorized") from None  # API Gateway answers 401 (GatewayResponses: problem+json)
    arn = event["methodArn"].split("/")
    resource = "/".join(arn[:2]) + "/*"
    return {"principalId": claims["sub"],
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": resource}]},
            "context": {"aud": audience}}


def holder_authorizer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _authorize(event, "mes-holder")


def enrolment_authorizer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _authorize(event, "mes-enrolment")


def pro_authorizer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Edge filter for Pro Santé Connect tokens (pinned JWKS, iss, aud, exp); the views verify again."""
    from chalicelib.routing import get_container
    from mes.domain.errors import DomainError

    scheme, _, value = str(event.get("authorizationToken", "")).partition(" ")
    try:
        if scheme.lower() != "bearer":
            raise ValueError
        container = get_container()
        identity = container.psc.verify(value.strip(), container.clock())
    except (DomainError, ValueError):
        raise Exception("Unauthorized") from None
    arn = event["methodArn"].split("/")
    return {"principalId": identity.rpps,
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "/".join(arn[:2]) + "/*"}]},
            "context": {"aud": "pro"}}

"""template.yaml's web edge (issue 11, WEB.md "Where it lives and how it is served"): the private
web bucket read only by the CloudFront distribution (origin access control), /api/* routed to the
API stage uncached with Authorization and cookies forwarded, the security headers, the CloudFront
Functions (run with node), TLS and WAF parameters, and the documents bucket's CORS."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import Any

import pytest

from mes_local.provision.intrinsics import Resolver

# AWS managed CloudFront policies (ids are fixed and documented by AWS).
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
ALL_METHODS = {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}
ONE_YEAR = 365 * 24 * 3600
NODE = shutil.which("node")


def _distribution(template: dict[str, Any]) -> dict[str, Any]:
    (distribution,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::CloudFront::Distribution"]
    return distribution["Properties"]["DistributionConfig"]


def _origin(template: dict[str, Any], origin_id: str) -> dict[str, Any]:
    (origin,) = [o for o in _distribution(template)["Origins"] if o["Id"] == origin_id]
    return origin


def _api_behaviour(template: dict[str, Any]) -> dict[str, Any]:
    (behaviour,) = _distribution(template)["CacheBehaviors"]
    return behaviour


def _csp(template: dict[str, Any]) -> dict[str, list[str]]:
    config = template["Resources"]["WebSecurityHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    text = config["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"]
    directives = {}
    for part in text.split(";"):
        name, *values = part.split()
        assert name not in directives, f"{name} twice"
        directives[name] = values
    return directives


# -------------------------------------------------------------------------------------------------
# The web bucket: private, read by the distribution only
# -------------------------------------------------------------------------------------------------
def test_web_bucket_is_private_encrypted_versioned_and_logged(template: dict[str, Any]) -> None:
    properties = template["Resources"]["WebBucket"]["Properties"]
    assert properties["BucketName"] == {"Fn::Sub": "${AWS::StackName}-web-${AWS::AccountId}"}
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    assert properties["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    (rule,) = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    assert properties["LoggingConfiguration"] == {"DestinationBucketName": {"Ref": "AccessLogsBucket"},
                                                  "LogFilePrefix": "web/"}
    # No website hosting, no CORS: it is not reachable but through CloudFront.
    assert "WebsiteConfiguration" not in properties and "CorsConfiguration" not in properties


def test_web_bucket_policy_admits_only_this_distribution_over_tls(template: dict[str, Any]) -> None:
    policy = template["Resources"]["WebBucketPolicy"]["Properties"]
    assert policy["Bucket"] == {"Ref": "WebBucket"}
    statements = policy["PolicyDocument"]["Statement"]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert allows == [{
        "Sid": "AllowCloudFrontOriginAccessControl",
        "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject",  # read only: no list, no write
        "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${WebBucket}/*"},
        "Condition": {"StringEquals": {"AWS:SourceArn": {
            "Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${WebDistribution}"}}},
    }]
    (deny,) = [s for s in statements if s["Effect"] == "Deny"]
    assert (deny["Sid"], deny["Principal"], deny["Action"]) == ("DenyInsecureTransport", "*", "s3:*")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Resource"] == [{"Fn::Sub": "arn:${AWS::Partition}:s3:::${WebBucket}"},
                                {"Fn::Sub": "arn:${AWS::Partition}:s3:::${WebBucket}/*"}]


def test_distribution_reads_the_bucket_through_origin_access_control(template: dict[str, Any]) -> None:
    oac = template["Resources"]["WebOriginAccessControl"]
    assert oac["Type"] == "AWS::CloudFront::OriginAccessControl"
    config = oac["Properties"]["OriginAccessControlConfig"]
    assert (config["OriginAccessControlOriginType"], config["SigningBehavior"], config["SigningProtocol"]) == (
        "s3", "always", "sigv4")
    origin = _origin(template, "WebBucketOrigin")
    # The bucket's REST endpoint (not a website endpoint), signed by the OAC; no legacy OAI.
    assert origin["DomainName"] == {"Fn::GetAtt": ["WebBucket", "RegionalDomainName"]}
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["WebOriginAccessControl", "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}


# -------------------------------------------------------------------------------------------------
# Behaviours
# -------------------------------------------------------------------------------------------------
def test_default_behaviour_serves_the_app_cached_and_compressed(template: dict[str, Any]) -> None:
    config = _distribution(template)
    assert config["Enabled"] is True
    assert config["DefaultRootObject"] == "index.html"
    default = config["DefaultCacheBehavior"]
    assert default["TargetOriginId"] == "WebBucketOrigin"
    assert default["ViewerProtocolPolicy"] == "redirect-to-https"
    assert (default["CachePolicyId"], default["Compress"]) == (CACHING_OPTIMIZED, True)
    assert set(default["AllowedMethods"]) == {"GET", "HEAD"}
    assert default["ResponseHeadersPolicyId"] == {"Ref": "WebSecurityHeadersPolicy"}
    assert default["FunctionAssociations"] == [{
        "EventType": "viewer-request", "FunctionARN": {"Fn::GetAtt": ["WebSpaRewriteFunction", "FunctionARN"]}}]
    # Custom error pages would also turn the API's own 403/404 answers into index.html.
    assert "CustomErrorResponses" not in config


def test_api_behaviour_goes_to_the_stage_uncached_with_credentials(template: dict[str, Any]) -> None:
    behaviour = _api_behaviour(template)
    assert behaviour["PathPattern"] == "/api/*"
    assert behaviour["TargetOriginId"] == "ApiOrigin"
    assert behaviour["ViewerProtocolPolicy"] == "https-only"
    assert set(behaviour["AllowedMethods"]) == ALL_METHODS
    # Never cached (personal data); every viewer header but Host (Authorization, Cookie), every
    # cookie and the query string reach the API (API Gateway needs its own Host).
    assert behaviour["CachePolicyId"] == CACHING_DISABLED
    assert behaviour["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER
    assert "ForwardedValues" not in behaviour
    assert behaviour["ResponseHeadersPolicyId"] == {"Ref": "WebSecurityHeadersPolicy"}
    assert behaviour["FunctionAssociations"] == [{
        "EventType": "viewer-request", "FunctionARN": {"Fn::GetAtt": ["WebApiPrefixFunction", "FunctionARN"]}}]
    origin = _origin(template, "ApiOrigin")
    assert origin["DomainName"] == {"Fn::Sub": "${MesApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}
    assert origin["OriginPath"] == {"Fn::Sub": "/${Stage}"}
    assert origin["CustomOriginConfig"] == {
        "OriginProtocolPolicy": "https-only", "OriginSSLProtocols": ["TLSv1.2"], "HTTPSPort": 443}
    # The distribution is the edge: a regional API, not an edge-optimized one (a second CloudFront).
    assert template["Resources"]["MesApi"]["Properties"]["EndpointConfiguration"] == {"Type": "REGIONAL"}


def test_session_cookie_path_is_the_auth_path_seen_through_the_distribution() -> None:
    """The API sets its cookie on the path the browser sees (/api/auth), not the stage's (/auth)."""
    from mes.settings import ApiSettings

    assert ApiSettings.model_fields["session_cookie_path"].default == "/api/auth"


# -------------------------------------------------------------------------------------------------
# Security headers
# -------------------------------------------------------------------------------------------------
def test_csp_allows_no_inline_script_no_framing_and_only_the_documents_bucket(template: dict[str, Any]) -> None:
    csp = _csp(template)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no host
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == csp["form-action"] == ["'self'"]
    assert csp["style-src"] == ["'self'", "'unsafe-inline'"]
    assert csp["img-src"] == ["'self'", "data:", "blob:"]
    assert csp["font-src"] == ["'self'", "data:"]
    # The browser uploads to and downloads from the documents bucket (presigned POST/GET).
    assert csp["connect-src"] == ["'self'", "https://${DocumentsBucket.RegionalDomainName}",
                                  "https://${DocumentsBucket.DomainName}"]
    assert not any("*" in value or value in ("http:", "https:") for values in csp.values() for value in values)


def test_hsts_nosniff_deny_no_referrer_on_every_answer(template: dict[str, Any]) -> None:
    config = template["Resources"]["WebSecurityHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    headers = config["SecurityHeadersConfig"]
    hsts = headers["StrictTransportSecurity"]
    assert hsts["AccessControlMaxAgeSec"] >= ONE_YEAR and hsts["IncludeSubdomains"] is True
    assert headers["ContentTypeOptions"] == {"Override": True}
    assert headers["FrameOptions"] == {"FrameOption": "DENY", "Override": True}
    assert headers["ReferrerPolicy"] == {"ReferrerPolicy": "no-referrer", "Override": True}
    assert all(header["Override"] is True for header in headers.values())
    custom = {item["Header"]: item["Value"] for item in config["CustomHeadersConfig"]["Items"]}
    assert custom["Cross-Origin-Opener-Policy"] == "same-origin"
    assert {"camera=()", "microphone=()", "geolocation=()"} <= set(custom["Permissions-Policy"].split(", "))
    # The same policy on the page and on the API.
    config = _distribution(template)
    assert config["DefaultCacheBehavior"]["ResponseHeadersPolicyId"] == _api_behaviour(template)[
        "ResponseHeadersPolicyId"] == {"Ref": "WebSecurityHeadersPolicy"}


# -------------------------------------------------------------------------------------------------
# The CloudFront Functions, run with node (cloudfront-js-2.0 is ECMAScript with CloudFront's event)
# -------------------------------------------------------------------------------------------------
def _run_function(template: dict[str, Any], function_id: str, uris: list[str]) -> list[dict[str, Any]]:
    function = template["Resources"][function_id]
    assert function["Type"] == "AWS::CloudFront::Function"
    assert function["Properties"]["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert function["Properties"]["AutoPublish"] is True
    harness = function["Properties"]["FunctionCode"] + (
        "\nconst uris = JSON.parse(process.argv[1]);"
        "\nconsole.log(JSON.stringify(uris.map((uri) => handler({version: '1.0', context: {eventType: "
        "'viewer-request'}, viewer: {ip: '192.0.2.1'}, request: {method: 'GET', uri: uri, querystring: {}, "
        "headers: {}, cookies: {}}}))));\n")
    assert NODE is not None
    completed = subprocess.run([NODE, "-e", harness, json.dumps(uris)], capture_output=True, text=True,
                               timeout=60, check=True)
    return json.loads(completed.stdout)


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_spa_rewrite_sends_app_routes_to_index_and_leaves_files_and_api_alone(template: dict[str, Any]) -> None:
    routes = ["/", "/documents", "/profil-medical", "/espaces/e1/documents", "/connexion/"]
    files = ["/index.html", "/assets/index-4f2a.js", "/assets/dsfr/icons.woff2", "/favicon.ico"]
    api = ["/api", "/api/", "/api/auth/login", "/api/espaces/e1/documents"]
    results = _run_function(template, "WebSpaRewriteFunction", routes + files + api)
    assert [r["uri"] for r in results] == ["/index.html"] * len(routes) + files + api
    code = template["Resources"]["WebSpaRewriteFunction"]["Properties"]["FunctionCode"]
    assert "'/api'" in code and "'/api/'" in code


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_api_prefix_is_stripped_and_professional_routes_are_refused(template: dict[str, Any]) -> None:
    forwarded = ["/api/auth/login", "/api/espaces/e1/documents", "/api/espaces/e1/profile/allergies",
                 "/api/enrolment/sessions", "/api/programme"]
    results = _run_function(template, "WebApiPrefixFunction", forwarded)
    assert [r["uri"] for r in results] == ["/auth/login", "/espaces/e1/documents", "/espaces/e1/profile/allergies",
                                           "/enrolment/sessions", "/programme"]
    # The professionals' routes carry the INS (the NIR) in their paths: not on the holders' origin.
    refused = _run_function(template, "WebApiPrefixFunction", ["/api/pro/patients/1234567890123/profile", "/api/pro"])
    assert refused == [{"statusCode": 404, "statusDescription": "Not Found"}] * 2


# -------------------------------------------------------------------------------------------------
# TLS, WAF, logs, outputs
# -------------------------------------------------------------------------------------------------
def _resolved_distribution(template: dict[str, Any], **parameters: str) -> dict[str, Any]:
    values = {name: spec.get("Default") for name, spec in template["Parameters"].items()} | parameters
    resolver = Resolver(template, "mes-prod", "123456789012", "eu-west-3", values)
    config = _distribution(template)
    resolved: dict[str, Any] = resolver.resolve({key: config[key] for key in ("ViewerCertificate", "WebACLId", "Aliases")})
    return resolved  # AWS::NoValue entries dropped, as CloudFormation does


CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
WEB_ACL = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/mes-prod-web/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


def test_tls_1_2_with_a_certificate_default_certificate_without(template: dict[str, Any]) -> None:
    default = _resolved_distribution(template)
    assert default == {"ViewerCertificate": {"CloudFrontDefaultCertificate": True}}
    custom = _resolved_distribution(template, WebDomainName="mes.example.fr", WebCertificateArn=CERTIFICATE)
    assert custom["ViewerCertificate"] == {"AcmCertificateArn": CERTIFICATE, "SslSupportMethod": "sni-only",
                                           "MinimumProtocolVersion": "TLSv1.2_2021"}
    assert custom["Aliases"] == ["mes.example.fr"]
    assert _resolved_distribution(template, WebAclArn=WEB_ACL)["WebACLId"] == WEB_ACL
    # A certificate without its name (or the reverse) is refused before anything is created.
    rules = template["Rules"]
    assert {rule["Assertions"][0]["Assert"]["Fn::Not"][0]["Fn::Equals"][0]["Ref"]
            for rule in rules.values()} == {"WebDomainName", "WebCertificateArn"}
    parameters = template["Parameters"]
    for name, good, bad in (("WebCertificateArn", CERTIFICATE, CERTIFICATE.replace("us-east-1", "eu-west-3")),
                            ("WebAclArn", WEB_ACL, WEB_ACL.replace("global", "regional")),
                            ("WebDomainName", "mes.example.fr", "https://mes.example.fr")):
        pattern = re.compile(parameters[name]["AllowedPattern"])
        assert parameters[name]["Default"] == ""
        assert pattern.fullmatch("") and pattern.fullmatch(good) and not pattern.fullmatch(bad), name


def test_no_cloudfront_log_with_query_strings(template: dict[str, Any]) -> None:
    """CloudFront's standard logs always hold the query string (?type=<measurement>&category=...):
    none is configured, and the skip of checkov's logging check says why."""
    assert "Logging" not in _distribution(template)
    skips = {s["id"]: s["comment"] for s in template["Resources"]["WebDistribution"]["Metadata"]["checkov"]["skip"]}
    assert "query string" in skips["CKV_AWS_86"]
    # No bucket has ACLs enabled (CloudFront's legacy log delivery would need them).
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] == "AWS::S3::Bucket":
            assert resource["Properties"]["OwnershipControls"] == {
                "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}, logical_id


def test_web_outputs(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]
    assert outputs["WebUrl"]["Value"] == {"Fn::If": ["HasWebCertificate", {"Fn::Sub": "https://${WebDomainName}"},
                                                     {"Fn::Sub": "https://${WebDistribution.DomainName}"}]}
    assert outputs["WebBucketName"]["Value"] == {"Ref": "WebBucket"}
    assert outputs["WebDistributionId"]["Value"] == {"Ref": "WebDistribution"}


def test_documents_bucket_cors_is_the_web_origin_only(template: dict[str, Any]) -> None:
    (rule,) = template["Resources"]["DocumentsBucket"]["Properties"]["CorsConfiguration"]["CorsRules"]
    assert rule["AllowedOrigins"] == [{"Ref": "WebOrigin"}]
    assert rule["AllowedMethods"] == ["GET", "POST"]
    assert "AllowedHeaders" not in rule and "ExposedHeaders" not in rule
    # The only bucket a browser talks to.
    with_cors = [k for k, v in template["Resources"].items()
                 if v["Type"] == "AWS::S3::Bucket" and "CorsConfiguration" in v["Properties"]]
    assert with_cors == ["DocumentsBucket"]


# -------------------------------------------------------------------------------------------------
# The web ACL (infra/web-acl.yaml, deployed in us-east-1; its ARN goes to WebAclArn)
# -------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def web_acl_template() -> dict[str, Any]:
    from mes_local.provision import load_template
    from tests.infra.conftest import ROOT

    return load_template(ROOT / "infra" / "web-acl.yaml")


def test_web_acl_template_is_lint_clean_in_us_east_1(web_acl_template: dict[str, Any]) -> None:
    from cfnlint.api import ManualArgs, lint

    matches = lint(json.dumps(web_acl_template), config=ManualArgs(regions=["us-east-1"], include_experimental=True))
    assert not matches, "\n".join(f"{m.rule.id} {m.message} {m.path}" for m in matches)
    assert web_acl_template["Outputs"]["WebAclArn"]["Value"] == {"Fn::GetAtt": ["WebAcl", "Arn"]}


def test_web_acl_limits_each_ip_on_auth_and_enrolment(web_acl_template: dict[str, Any],
                                                      template: dict[str, Any]) -> None:
    acl = web_acl_template["Resources"]["WebAcl"]["Properties"]
    assert acl["Scope"] == "CLOUDFRONT" and acl["DefaultAction"] == {"Allow": {}}
    rules = {rule["Name"]: rule for rule in acl["Rules"]}
    auth = rules["RateLimitAuthAndEnrolment"]
    rate = auth["Statement"]["RateBasedStatement"]
    assert (rate["AggregateKeyType"], rate["Limit"]) == ("IP", {"Ref": "AuthRateLimit"})
    prefixes = {s["ByteMatchStatement"]["SearchString"] for s in rate["ScopeDownStatement"]["OrStatement"]["Statements"]}
    assert prefixes == {"/api/auth/", "/api/enrolment/"}
    # The same routes as the stage's tighter throttling, seen through the distribution's /api prefix.
    throttled = {s["ResourcePath"].replace("~1", "/").split("/")[2]  # "/~1auth~1login" -> auth
                 for s in template["Resources"]["MesApi"]["Properties"]["MethodSettings"] if s["ResourcePath"] != "/*"}
    assert {f"/api/{name}/" for name in throttled} == prefixes
    assert _api_behaviour(template)["PathPattern"] == "/api/*"
    # Blocked answers are the API's own problem+json 429, in French.
    assert auth["Action"]["Block"]["CustomResponse"] == {"ResponseCode": 429, "CustomResponseBodyKey": "rate_limited"}
    body = json.loads(acl["CustomResponseBodies"]["rate_limited"]["Content"])
    assert (body["status"], body["code"], body["detail"]) == (429, "rate_limited", "Trop de requêtes. Réessayez plus tard.")
    # No WAF logs: they would hold viewers' addresses, headers and query strings in us-east-1.
    assert not [r for r in web_acl_template["Resources"].values() if r["Type"] == "AWS::WAFv2::LoggingConfiguration"]


def test_web_origin_cannot_come_from_the_distribution(template: dict[str, Any]) -> None:
    """Why WebOrigin is a parameter (docs/deploy.md, two deployments without a domain): the
    documents bucket's CORS naming the distribution is a circular dependency through the API."""
    from cfnlint.api import ManualArgs, lint
    from samtranslator.translator.transform import transform

    from tests.infra.test_template import _NoManagedPolicies, _with_s3_code_uris

    (rule,) = template["Resources"]["DocumentsBucket"]["Properties"]["CorsConfiguration"]["CorsRules"]
    rule["AllowedOrigins"] = [{"Fn::Sub": "https://${WebDistribution.DomainName}"}]
    # Even with the CSP naming the documents bucket by its explicit name instead of its attributes,
    # the cycle remains: distribution -> API (origin) -> its functions (environment) -> bucket.
    csp = template["Resources"]["WebSecurityHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"][
        "SecurityHeadersConfig"]["ContentSecurityPolicy"]
    by_name = "${AWS::StackName}-documents-${AWS::AccountId}.s3.${AWS::URLSuffix}"
    csp["ContentSecurityPolicy"] = {"Fn::Sub": re.sub(r"\$\{DocumentsBucket\.\w+\}", by_name,
                                                      csp["ContentSecurityPolicy"]["Fn::Sub"])}
    transformed = transform(_with_s3_code_uris(template), {}, _NoManagedPolicies())
    cycles = [m.message for m in lint(json.dumps(transformed), config=ManualArgs(regions=["eu-west-3"]))
              if m.rule.id == "E3004"]
    assert any("resource DocumentsBucket" in message and "WebDistribution" in message for message in cycles), cycles
    assert any("resource WebDistribution" in message and "MesApi" in message for message in cycles), cycles

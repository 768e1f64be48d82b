"""Forged tokens: every kind of forgery we know, for holder tokens (ES256 signed by KMS) and PS
tokens (Pro Santé Connect, verified against the pinned JWKS), made with PyJWT/cryptography and,
where the forgery needs a *valid* signature over bad claims, with the real signing keys (the moto
KMS key, the local PSC stand-in's key) — the verifier's claim checks are what is tested then.

Every forged token must be refused with 401 on a holder route (`GET /espaces/me`) or a PS route
(`GET /pro/notifications`), and by the matching API Gateway TOKEN authorizer (the edge filter),
while the valid token of the same caller gets 200 in the same run (the control).

`KINDS` maps a kind to (holder forger, PS forger); None where the kind has no meaning on that side
(said in `NOT_APPLICABLE`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from tests.support.leaks import remember

HOLDER_ROUTE = "/espaces/me"
PS_ROUTE = "/pro/notifications"
DOCTOR = "10000000201"
HOUR = 3600


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(value: Any) -> str:
    return b64(json.dumps(value, separators=(",", ":")).encode())


def unverified(token: str) -> tuple[dict, dict]:
    header = jwt.get_unverified_header(token)
    payload = jwt.decode(token, options={"verify_signature": False})
    return header, payload


@dataclass
class Side:
    """What a forger may use on one side: a valid token, its header and claims, the real signer
    (for bad claims under a valid signature), the public key (for algorithm confusion), `now`."""

    valid: str
    header: dict
    claims: dict
    sign: Callable[[dict, dict], str]  # (header, claims) -> token signed with the real key
    public_pem: bytes
    now: int
    logged_out: str | None = None  # holder only: a token whose session was logged out

    def resign(self, **changes: Any) -> str:
        """The valid claims with `changes` (None removes a claim), signed with the real key."""
        claims = {**self.claims, **changes}
        return self.sign(self.header, {k: v for k, v in claims.items() if v is not None})


# -- the forgers ------------------------------------------------------------------------------------
def alg_none(s: Side) -> str:
    return f"{b64json({**s.header, 'alg': 'none'})}.{b64json(s.claims)}."


def hs256_with_public_key(s: Side) -> str:
    """Algorithm confusion: HMAC keyed with the public key the server trusts."""
    signing_input = f"{b64json({**s.header, 'alg': 'HS256'})}.{b64json(s.claims)}"
    return f"{signing_input}.{b64(hmac.new(s.public_pem, signing_input.encode(), hashlib.sha256).digest())}"


def flipped_signature(s: Side) -> str:
    head, payload, signature = s.valid.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[len(raw) // 2] ^= 0x01
    return f"{head}.{payload}.{b64(bytes(raw))}"


def altered_payload(s: Side) -> str:
    """Someone else's identity under the original signature."""
    head, _, signature = s.valid.split(".")
    changed = dict(s.claims)
    if "SubjectNameID" in changed:
        changed["SubjectNameID"] = "810000000999"
    else:
        changed["sub"] = "someone-else"
    return f"{head}.{b64json(changed)}.{signature}"


def expired(s: Side) -> str:
    return s.resign(iat=s.now - 2 * HOUR, exp=s.now - 1)


def no_exp(s: Side) -> str:
    return s.resign(exp=None)


def future_iat(s: Side) -> str:
    return s.resign(iat=s.now + HOUR, exp=s.now + 2 * HOUR)


def future_nbf(s: Side) -> str:
    return s.resign(nbf=s.now + HOUR)


def wrong_aud(s: Side) -> str:
    """Holder: an enrolment token's audience; PS: another relying party's."""
    return s.resign(aud="mes-enrolment" if "SubjectNameID" not in s.claims else "another-relying-party")


def wrong_iss(s: Side) -> str:
    return s.resign(iss="https://auth.evil.example")


def exp_as_string(s: Side) -> str:
    return s.resign(exp=str(s.now + HOUR))


def no_subject(s: Side) -> str:
    """Holder: no `sub`; PS: no RPPS (`SubjectNameID`)."""
    return s.resign(SubjectNameID=None) if "SubjectNameID" in s.claims else s.resign(sub=None)


def unknown_kid(s: Side) -> str:
    return s.sign({**s.header, "kid": "0123456789abcdef"}, s.claims)


def kid_traversal(s: Side) -> str:
    return s.sign({**s.header, "kid": "../../../../../../dev/null"}, s.claims)


def _attacker(s: Side) -> tuple[Any, str, dict]:
    """A key of the same type as the server's (so only the trust decides), its alg and public JWK."""
    if s.header["alg"].startswith("ES"):
        key = ec.generate_private_key(ec.SECP256R1())
        return key, "ES256", json.loads(ECAlgorithm.to_jwk(key.public_key()))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key, "RS256", json.loads(RSAAlgorithm.to_jwk(key.public_key()))


def foreign_key_same_kid(s: Side) -> str:
    key, alg, _ = _attacker(s)
    return jwt.encode(s.claims, key, algorithm=alg, headers={**s.header, "alg": alg})


def embedded_jwk(s: Side) -> str:
    """The key inside the token's own header (`jwk`): never trusted."""
    key, alg, public = _attacker(s)
    return jwt.encode(s.claims, key, algorithm=alg, headers={**s.header, "alg": alg, "jwk": public})


def jku_header(s: Side) -> str:
    """A key set at an attacker's URL (`jku`): never fetched."""
    key, alg, _ = _attacker(s)
    return jwt.encode(s.claims, key, algorithm=alg,
                      headers={"alg": alg, "typ": "JWT", "kid": "evil", "jku": "https://evil.example/jwks.json"})


def other_algorithm_family(s: Side) -> str:
    """Holder: RS256 (the holder verifier pins ES256); PS: ES256 under the pinned RSA key's kid."""
    if s.header["alg"].startswith("ES"):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return jwt.encode(s.claims, key, algorithm="RS256", headers={**s.header, "alg": "RS256"})
    key = ec.generate_private_key(ec.SECP256R1())
    return jwt.encode(s.claims, key, algorithm="ES256", headers={**s.header, "alg": "ES256"})


def logged_out(s: Side) -> str:
    assert s.logged_out is not None
    return s.logged_out


def garbage(s: Side) -> str:
    return "not-a-token.%%%.!!!"


def extra_segment(s: Side) -> str:
    return s.valid + ".AAAA"


def huge_header(s: Side) -> str:
    """A 100 kB header (a parser or a log line must not choke on it): the real signature over it
    for PS tokens; holder tokens keep the original signature (KMS signs at most 4 kB)."""
    header = {**s.header, "pad": "A" * 100_000}
    if s.header["alg"].startswith("ES"):
        _, payload, signature = s.valid.split(".")
        return f"{b64json(header)}.{payload}.{signature}"
    return s.sign(header, s.claims)


Forger = Callable[[Side], str]
KINDS: dict[str, tuple[Forger | None, Forger | None]] = {
    "alg_none": (alg_none, alg_none),
    "hs256_signed_with_the_public_key": (hs256_with_public_key, hs256_with_public_key),
    "flipped_signature": (flipped_signature, flipped_signature),
    "altered_payload": (altered_payload, altered_payload),
    "expired": (expired, expired),
    "no_exp": (no_exp, no_exp),
    "exp_as_string": (exp_as_string, exp_as_string),
    "iat_an_hour_ahead": (future_iat, future_iat),
    "nbf_an_hour_ahead": (future_nbf, future_nbf),
    "wrong_aud": (wrong_aud, wrong_aud),
    "wrong_iss": (wrong_iss, wrong_iss),
    "no_subject": (no_subject, no_subject),
    "unknown_kid": (unknown_kid, unknown_kid),
    "kid_traversal": (kid_traversal, kid_traversal),
    "foreign_key_same_kid": (foreign_key_same_kid, foreign_key_same_kid),
    "embedded_jwk_header": (embedded_jwk, embedded_jwk),
    "jku_header": (jku_header, jku_header),
    "other_algorithm_family": (other_algorithm_family, other_algorithm_family),
    "logged_out": (logged_out, None),
    "garbage": (garbage, garbage),
    "extra_segment": (extra_segment, extra_segment),
    "header_of_100_kb": (huge_header, huge_header),
}
NOT_APPLICABLE = {
    ("logged_out", "pro"): "PS tokens are Pro Santé Connect's: there is no PS logout in mes to revoke them",
}


# -- the two sides ----------------------------------------------------------------------------------
def holder_side(api: Any, aws: Any, clock: Any, valid: str, fresh_login: Callable[[], str]) -> Side:
    tokens = aws.tokens
    header, claims = unverified(valid)

    def sign(head: dict, payload: dict) -> str:
        signing_input = f"{b64json(head)}.{b64json(payload)}"
        der = tokens.kms.sign(KeyId=tokens.key_id, Message=signing_input.encode(), MessageType="RAW",
                              SigningAlgorithm="ECDSA_SHA_256")["Signature"]
        r, s = decode_dss_signature(der)
        return f"{signing_input}.{b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"

    ended = fresh_login()
    response = api.http.post("/auth/logout", headers={"Authorization": f"Bearer {ended}"})
    assert response.status_code == 204, response.body
    pem = tokens._public_key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    return Side(valid, header, claims, sign, pem, int(clock().timestamp()), logged_out=ended)


def pro_side(psc: Any, clock: Any) -> Side:
    valid = psc.issue(DOCTOR, "10", now=clock())
    remember(valid)
    header, claims = unverified(valid)
    pem = psc._private_key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    return Side(valid, header, claims, lambda head, payload: psc.sign(payload, head), pem, int(clock().timestamp()))


@dataclass(frozen=True)
class Attempt:
    kind: str
    side: str  # "holder" | "pro"
    status: int
    edge_refused: bool | None  # the TOKEN authorizer's verdict; None where it does not apply

    @property
    def refused(self) -> bool:
        return self.status == 401 and self.edge_refused is not False


def _edge_refuses(authorizer: Callable[..., Any], token: str) -> bool:
    event = {"type": "TOKEN", "authorizationToken": f"Bearer {token}",
             "methodArn": "arn:aws:execute-api:eu-west-3:123456789012:abcdef/prod/GET/espaces/me"}
    try:
        authorizer(event, None)
    except Exception as exc:  # noqa: BLE001 - API Gateway's contract: raise "Unauthorized"
        return str(exc) == "Unauthorized"
    return False


def attempt_all(api: Any, holder: Side, pro: Side) -> tuple[list[Attempt], dict[str, int]]:
    """Every kind on every side it applies to, plus the two controls (valid token → 200, allowed
    at the edge) before and after, so that a refusal of everything cannot pass."""
    from mes_local.functions import api_app
    app = api_app()
    sides = {"holder": (holder, HOLDER_ROUTE, app.holder_authorizer),
             "pro": (pro, PS_ROUTE, app.pro_authorizer)}
    controls: dict[str, int] = {}
    attempts = []
    for name, (side, route, authorizer) in sides.items():
        controls[f"{name}_before"] = api.http.get(route, headers={"Authorization": f"Bearer {side.valid}"}).status_code
        assert not _edge_refuses(authorizer, side.valid), f"the {name} authorizer refuses the valid token"
        for kind, forgers in KINDS.items():
            forger = forgers[0 if name == "holder" else 1]
            if forger is None:
                continue
            token = forger(side)
            remember(token)
            status = api.http.get(route, headers={"Authorization": f"Bearer {token}"}).status_code
            # the edge filter checks signature, audience and times, not revocation (app.py): a
            # logged-out token is refused by the views only
            edge = None if kind == "logged_out" else _edge_refuses(authorizer, token)
            attempts.append(Attempt(kind, name, status, edge))
        controls[f"{name}_after"] = api.http.get(route, headers={"Authorization": f"Bearer {side.valid}"}).status_code
    return attempts, controls


def figures() -> dict[str, int]:
    """`security.forged_token_kinds` (kinds tried, target ≥ 12), `security.forged_tokens` (tokens
    tried, holder and PS) and `security.forged_accepted` (any not refused with 401: target 0)."""
    import os
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")  # before the app (and its logger) is imported

    from tests.security.bola import standalone
    from tests.support import flows
    with standalone() as (api, aws, clock, psc):
        attempts, controls = run(api, aws, clock, psc, flows)
    accepted = sum(not a.refused for a in attempts) + sum(v != 200 for v in controls.values())
    return {"security.forged_token_kinds": len({a.kind for a in attempts}), "security.forged_tokens": len(attempts),
            "security.forged_accepted": accepted}


def run(api: Any, aws: Any, clock: Any, psc: Any, flows: Any) -> tuple[list[Attempt], dict[str, int]]:
    who = flows.holder(api, aws, clock, seed=401, email="forge.cible@example.org", login="forge.cible")

    def fresh_login() -> str:
        r = api.http.post("/auth/login", headers={"Content-Type": "application/json"},
                          body=json.dumps({"login": "forge.cible", "password": "une phrase de passe assez longue"}))
        otp = flows.sent(aws, "forge.cible@example.org", "otp")[-1]["data"]["otp"]
        r = api.http.post("/auth/otp", headers={"Content-Type": "application/json"},
                          body=json.dumps({"challenge_id": r.json_body["challenge_id"], "otp": otp}))
        token = r.json_body["access_token"]
        remember(token)
        return token

    return attempt_all(api, holder_side(api, aws, clock, who["token"], fresh_login), pro_side(psc, clock))

"""The local stand-in for Pro Santé Connect (BR-28): an RSA key pair that signs PS tokens.

Nothing of this exists in AWS: there, the provider signs and ``PSC_JWKS`` pins its public keys.
Locally the stack creates (or reuses) one key pair at start, keeps the private key in the moto SSM
SecureString ``/mes-local/psc-private-key`` (so ``mes pro-token``, another process, can sign) and
gives the functions ``PSC_ISSUER`` / ``PSC_AUDIENCE`` / ``PSC_JWKS`` (public keys only) through the
template parameters ``PscIssuer`` / ``PscAudience`` / ``PscJwks`` — the same path as in AWS.

Tests: ``LocalPsc()`` in memory, ``psc.parameters()`` for ``provision(..., parameters=...)`` or
``psc.env()`` for an environment, ``psc.issue(rpps, profession, ...)`` for a token, and
``psc.verifier()`` for a ``PscVerifier`` that trusts it."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

PRIVATE_KEY_PARAMETER = "/mes-local/psc-private-key"
ISSUER_PATH = "/psc-local"
DEFAULT_ISSUER = "http://127.0.0.1:8000" + ISSUER_PATH
DEFAULT_AUDIENCE = "mes"
ALGORITHM = "RS256"


def local_issuer(api_port: int | str, host: str = "127.0.0.1") -> str:
    """The issuer of the local stand-in: under the local API's address (e.g. http://127.0.0.1:8000/psc-local)."""
    return f"http://{host}:{api_port}{ISSUER_PATH}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class LocalPsc:
    """A Pro Santé Connect stand-in: RSA 2048 key, RS256 tokens with PSC-shaped claims.

    ``private_key_pem``: reuse an existing key (PEM, PKCS#8 or PKCS#1); default: a new one. The
    ``kid`` is the key's RFC 7638 thumbprint, so the same key always has the same kid."""

    def __init__(self, issuer: str = DEFAULT_ISSUER, audience: str = DEFAULT_AUDIENCE,
                 private_key_pem: str | bytes | None = None, kid: str | None = None):
        self.issuer = issuer
        self.audience = audience
        if private_key_pem is None:
            self._private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        else:
            pem = private_key_pem.encode() if isinstance(private_key_pem, str) else private_key_pem
            key = serialization.load_pem_private_key(pem, password=None)
            if not isinstance(key, rsa.RSAPrivateKey):
                raise ValueError("the local PSC key must be an RSA private key")
            self._private_key = key
        self._kid = kid

    # -- keys ---------------------------------------------------------------------------------
    @cached_property
    def _public_jwk(self) -> dict[str, str]:
        jwk = RSAAlgorithm.to_jwk(self._private_key.public_key(), as_dict=True)
        return {"kty": "RSA", "n": jwk["n"], "e": jwk["e"]}

    @property
    def kid(self) -> str:
        if self._kid is None:
            canonical = json.dumps(self._public_jwk, sort_keys=True, separators=(",", ":")).encode()
            self._kid = _b64(hashlib.sha256(canonical).digest())
        return self._kid

    def private_key_pem(self) -> str:
        return self._private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()

    def jwks(self) -> dict[str, Any]:
        """The public JWK set (what ``PSC_JWKS`` pins)."""
        return {"keys": [{**self._public_jwk, "kid": self.kid, "use": "sig", "alg": ALGORITHM}]}

    def jwks_json(self) -> str:
        return json.dumps(self.jwks(), separators=(",", ":"), sort_keys=True)

    # -- configuration ----------------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        """The function environment that trusts this stand-in."""
        return {"PSC_ISSUER": self.issuer, "PSC_AUDIENCE": self.audience, "PSC_JWKS": self.jwks_json()}

    def parameters(self) -> dict[str, str]:
        """The template parameters that trust this stand-in (``provision(..., parameters=...)``)."""
        return {"PscIssuer": self.issuer, "PscAudience": self.audience, "PscJwks": self.jwks_json()}

    def verifier(self) -> Any:
        from mes.adapters.psc import PscVerifier
        return PscVerifier(self.issuer, self.audience, self.jwks())

    # -- tokens -------------------------------------------------------------------------------------
    def claims(self, rpps: str, profession: str, structure: str | None = None, name: str | None = None,
               occupational: bool = False, now: datetime | None = None, ttl: int = 3600) -> dict[str, Any]:
        """The claims of a PS token, shaped like Pro Santé Connect's ID token / UserInfo."""
        issued = int((now or datetime.now(UTC)).timestamp())
        exercise: dict[str, Any] = {"codeProfession": profession, "occupational": occupational}
        if structure:
            field = "numeroFinessSite" if len(structure) == 9 and structure.isalnum() else "identifiantStructure"
            exercise["activities"] = [{field: structure}]
        claims: dict[str, Any] = {
            "iss": self.issuer, "aud": self.audience, "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, f"rpps:{rpps}")),
            "iat": issued, "exp": issued + ttl, "jti": uuid.uuid4().hex, "acr": "eidas1",
            "SubjectNameID": f"8{rpps}", "preferred_username": f"8{rpps}",
            "SubjectRefPro": {"exercices": [exercise]},
        }
        if name:
            given, _, family = name.strip().partition(" ")
            claims.update({"given_name": given, "family_name": family} if family else {"family_name": given})
        return claims

    def sign(self, claims: dict[str, Any], headers: dict[str, Any] | None = None) -> str:
        """Sign any claims with this key (RS256, this kid unless ``headers`` say otherwise)."""
        payload = json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode()
        return jwt.PyJWS().encode(payload, self._private_key, algorithm=ALGORITHM,
                                  headers={"typ": "JWT", "kid": self.kid, **(headers or {})})

    def issue(self, rpps: str, profession: str, structure: str | None = None, name: str | None = None,
              occupational: bool = False, now: datetime | None = None, ttl: int = 3600, **overrides: Any) -> str:
        """A signed PS token. ``overrides`` replace top-level claims; a value of None removes the
        claim (``exp=None``: a token without expiry, for tests)."""
        claims = self.claims(rpps, profession, structure, name, occupational, now, ttl)
        for key, value in overrides.items():
            if value is None:
                claims.pop(key, None)
            else:
                claims[key] = value
        return self.sign(claims)


# -------------------------------------------------------------------------------------------------
# The key pair of the running local stack (moto SSM)
# -------------------------------------------------------------------------------------------------
def load(ssm: Any, issuer: str, audience: str = DEFAULT_AUDIENCE) -> LocalPsc | None:
    """The stand-in whose private key is stored in SSM, or None when there is none yet."""
    try:
        pem = ssm.get_parameter(Name=PRIVATE_KEY_PARAMETER, WithDecryption=True)["Parameter"]["Value"]
    except ssm.exceptions.ParameterNotFound:
        return None
    return LocalPsc(issuer, audience, private_key_pem=pem)


def ensure(ssm: Any, issuer: str, audience: str = DEFAULT_AUDIENCE) -> LocalPsc:
    """Reuse the key pair stored in SSM, or create one and store its private key (SecureString)."""
    psc = load(ssm, issuer, audience)
    if psc is None:
        psc = LocalPsc(issuer, audience)
        ssm.put_parameter(Name=PRIVATE_KEY_PARAMETER, Value=psc.private_key_pem(), Type="SecureString",
                          Overwrite=True,
                          Description="mes local stack: private key of the Pro Santé Connect stand-in (mes pro-token)")
    return psc

"""Pro Santé Connect (OpenID Connect) token verification (BR-28).

A PS token is an ID/access token signed by the provider. It is accepted only when:

- its header names (`kid`) a key of the **pinned** JWKS given in configuration (`PSC_JWKS`):
  the keys are never fetched from the token (`jku`, `x5u`, `jwk` headers are ignored) nor from a
  URL at request time; rotation = the operator pins the old and the new key side by side;
- its `alg` is in the fixed list (RS256, ES256 by default: never `none`, never HS*) **and** fits
  that key (RS* needs an RSA key of 2048 bits or more, ES256 a P-256 key, the JWK's own `alg` when
  it states one): no RS/HS confusion is possible, the key object is never used as an HMAC secret;
- the signature verifies with that key;
- `iss` is exactly ours, `aud` is ours (a string, or a list holding ours — then `azp`, when
  present, must be ours too), `exp` (required) is after `now` — the injected clock, not the wall
  clock, as `mes.adapters.aws.verify_jwt` does — `iat` is required and not in the future (a
  minute of clock skew), `nbf` (optional) is not in the future;
- it is at most `MAX_TOKEN_LENGTH` (8 kB) long, checked before anything is decoded;
- the identity it carries is complete: `SubjectNameID` = "8" + the 11-digit RPPS, and
  `SubjectRefPro.exercices[0].codeProfession` a two-digit profession code.

Anything else raises `mes.domain.errors.Unauthorized` (401) and nothing of the token is logged.

Identity claims, modelled on Pro Santé Connect's UserInfo / ID token::

    SubjectNameID                                            "8" + RPPS   -> ProIdentity.rpps
    SubjectRefPro.exercices[0].codeProfession                "10"         -> .profession
    SubjectRefPro.exercices[0].activities[0].numeroFinessSite             -> .structure
        (or ...activities[0].identifiantStructure; optional)
    given_name, family_name                                               -> .name (optional)
    SubjectRefPro.exercices[0].occupational                  true/false   -> .occupational
        ([design] our extension; absent = false; anything but a boolean -> 401)
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import cached_property
from typing import Any, TypeGuard

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from mes.domain.errors import Unauthorized
from mes.domain.professionals import ProIdentity, is_profession_code

DEFAULT_ALGORITHMS = ("RS256", "ES256")
# The asymmetric algorithms this verifier knows, with the key each needs. HS* and `none` are not
# here on purpose: asking for them is a configuration error.
_KEY_TYPES: dict[str, tuple[str, str | None]] = {
    "RS256": ("RSA", None), "RS384": ("RSA", None), "RS512": ("RSA", None),
    "PS256": ("RSA", None), "PS384": ("RSA", None), "PS512": ("RSA", None),
    "ES256": ("EC", "secp256r1"), "ES384": ("EC", "secp384r1"), "ES512": ("EC", "secp521r1"),
}
MIN_RSA_BITS = 2048
CLOCK_SKEW_SECONDS = 60
MAX_TOKEN_LENGTH = 8192  # the same bound as holder tokens (mes.adapters.aws), before any decoding
_RPPS_SUBJECT = re.compile(r"^8([0-9]{11})$")
_STRUCTURE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$")
_MAX_NAME = 200
# kty, the JWK's own alg (or None), the public key object.
_PinnedKey = tuple[str, str | None, Any]


class PscVerifier:
    """Verifies Pro Santé Connect tokens against a pinned JWKS; `verify` returns a `ProIdentity`.

    `jwks` is the JWK set (`{"keys": [...]}`) as a dict or its JSON text. Keys are parsed once
    per instance (the Lambda container's life). A JWKS that cannot be parsed, or that holds
    private key material, is a configuration error (`ValueError`, i.e. a 500, loudly) rather
    than a silent 401 for every PS; keys of another type or use (`use` other than `sig`) are
    skipped. An empty issuer, audience or key set rejects every token."""

    def __init__(self, issuer: str, audience: str, jwks: Mapping[str, Any] | str,
                 algorithms: Iterable[str] = DEFAULT_ALGORITHMS):
        self.issuer = issuer
        self.audience = audience
        self.algorithms = tuple(algorithms)
        unknown = [a for a in self.algorithms if a not in _KEY_TYPES]
        if unknown:
            raise ValueError(f"unsupported PS token algorithm(s): {unknown} (asymmetric ones only)")
        self._jwks = _parse_jwks(jwks)

    @cached_property
    def _keys(self) -> dict[str, _PinnedKey]:
        """kid -> (kty, the JWK's alg or None, public key object)."""
        keys: dict[str, _PinnedKey] = {}
        for jwk in self._jwks["keys"]:
            read = _read_signing_jwk(jwk)
            if read is None:
                continue
            kid, pinned = read
            if kid in keys:
                raise ValueError(f"PSC_JWKS: kid {kid!r} appears twice")
            keys[kid] = pinned
        return keys

    def _key_for(self, header: Mapping[str, Any]) -> tuple[str, Any]:
        alg, kid = header.get("alg"), header.get("kid")
        if not isinstance(alg, str) or alg not in self.algorithms:
            raise Unauthorized()
        if not isinstance(kid, str) or kid not in self._keys or header.get("crit") is not None:
            raise Unauthorized()
        pinned = self._keys[kid]
        if not _key_fits(alg, pinned):
            raise Unauthorized()
        return alg, pinned[2]

    def verify(self, token: str, now: datetime) -> ProIdentity:
        if (not self.issuer or not self.audience or not isinstance(token, str)
                or len(token) > MAX_TOKEN_LENGTH):
            raise Unauthorized()
        try:
            alg, key = self._key_for(jwt.get_unverified_header(token))
            claims = jwt.decode(token, key, algorithms=[alg], options={
                "verify_signature": True, "verify_exp": False, "verify_nbf": False, "verify_iat": False,
                "verify_aud": False, "verify_iss": False, "verify_sub": False, "verify_jti": False})
        except jwt.PyJWTError as exc:
            raise Unauthorized() from exc
        self._check_claims(claims, int(now.timestamp()))
        return _identity(claims)

    def _check_claims(self, claims: Mapping[str, Any], now: int) -> None:
        if claims.get("iss") != self.issuer or not self._audience_ok(claims):
            raise Unauthorized()
        if not _times_ok(claims, now):
            raise Unauthorized()

    def _audience_ok(self, claims: Mapping[str, Any]) -> bool:
        """`aud` is ours, or a list of strings holding ours (then `azp`, when present, is ours)."""
        aud = claims.get("aud")
        if not isinstance(aud, list):
            return bool(aud == self.audience)
        if self.audience not in aud or not all(isinstance(a, str) for a in aud):
            return False
        return len(aud) == 1 or claims.get("azp", self.audience) == self.audience


def _parse_jwks(jwks: Mapping[str, Any] | str) -> Mapping[str, Any]:
    """The JWK set as a mapping holding a `keys` list; anything else is a configuration error."""
    if isinstance(jwks, str):
        try:
            jwks = json.loads(jwks) if jwks.strip() else {"keys": []}
        except ValueError as exc:
            raise ValueError("PSC_JWKS is not JSON") from exc
    if not isinstance(jwks, Mapping) or not isinstance(jwks.get("keys"), list):
        raise ValueError('PSC_JWKS must be a JWK set: {"keys": [...]}')
    return jwks


def _read_signing_jwk(jwk: Any) -> tuple[str, _PinnedKey] | None:
    """(kid, pinned key) for a public RSA/EC signing key; None for a key of another type or use."""
    if not isinstance(jwk, Mapping):
        raise ValueError("PSC_JWKS: every key must be a JSON object")
    kid, kty = jwk.get("kid"), jwk.get("kty")
    if jwk.get("use", "sig") != "sig" or kty not in ("RSA", "EC"):
        return None
    if not isinstance(kid, str) or not kid:
        raise ValueError("PSC_JWKS: every signing key needs a kid")
    if "d" in jwk:
        raise ValueError(f"PSC_JWKS: key {kid!r} holds private material; pin public keys only")
    try:
        key = (RSAAlgorithm if kty == "RSA" else ECAlgorithm).from_jwk(dict(jwk))
    except (jwt.PyJWTError, ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"PSC_JWKS: key {kid!r} cannot be read") from exc
    alg = jwk.get("alg")
    return kid, (kty, alg if isinstance(alg, str) else None, key)


def _key_fits(alg: str, pinned: _PinnedKey) -> bool:
    """The pinned key suits `alg`: same key type, the JWK's own alg when stated, RSA of
    `MIN_RSA_BITS` or more, EC on the algorithm's curve."""
    kty, key_alg, key = pinned
    needed_kty, curve = _KEY_TYPES[alg]
    if kty != needed_kty or (key_alg is not None and key_alg != alg):
        return False
    if kty == "RSA":
        return isinstance(key, rsa.RSAPublicKey) and key.key_size >= MIN_RSA_BITS
    return isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == curve


def _times_ok(claims: Mapping[str, Any], now: int) -> bool:
    """`exp` required and after `now`; `iat` required, `nbf` optional, neither in the future
    (beyond `CLOCK_SKEW_SECONDS`)."""
    exp, iat, nbf = claims.get("exp"), claims.get("iat"), claims.get("nbf", now)
    if not (_is_time(exp) and _is_time(iat) and _is_time(nbf)):
        return False
    return exp > now and iat <= now + CLOCK_SKEW_SECONDS and nbf <= now + CLOCK_SKEW_SECONDS


def _is_time(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _first(value: Any) -> Mapping[str, Any]:
    if isinstance(value, list) and value and isinstance(value[0], Mapping):
        return value[0]
    return {}


def _printable(value: Any) -> str:
    return "".join(c for c in value if c.isprintable()).strip() if isinstance(value, str) else ""


def _identity(claims: Mapping[str, Any]) -> ProIdentity:
    rpps = _subject_rpps(claims.get("SubjectNameID"))
    exercise = _first_exercise(claims.get("SubjectRefPro"))
    profession = exercise.get("codeProfession")
    occupational = exercise.get("occupational", False)
    if rpps is None or not is_profession_code(profession) or not isinstance(occupational, bool):
        raise Unauthorized()
    return ProIdentity(rpps=rpps, profession=profession, structure=_structure(exercise),
                       name=_display_name(claims), occupational=occupational)


def _subject_rpps(subject: Any) -> str | None:
    """The RPPS of a `SubjectNameID` "8" + 11 digits; None for anything else."""
    match = _RPPS_SUBJECT.fullmatch(subject) if isinstance(subject, str) else None
    return match.group(1) if match else None


def _first_exercise(ref: Any) -> Mapping[str, Any]:
    return _first(ref.get("exercices")) if isinstance(ref, Mapping) else {}


def _structure(exercise: Mapping[str, Any]) -> str | None:
    """The first activity's FINESS site, else its structure identifier, when well-formed."""
    activity = _first(exercise.get("activities"))
    for value in (activity.get("numeroFinessSite"), activity.get("identifiantStructure")):
        if isinstance(value, str) and _STRUCTURE.fullmatch(value):
            return value
    return None


def _display_name(claims: Mapping[str, Any]) -> str | None:
    parts = [_printable(claims.get(k)) for k in ("given_name", "family_name")]
    return " ".join(p for p in parts if p)[:_MAX_NAME] or None

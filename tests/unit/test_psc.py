"""Pro Santé Connect token verification (BR-28): pinned JWKS, fixed algorithms, exact iss/aud,
exp/iat against the injected clock, identity from the token only. No network."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from mes.adapters.psc import PscVerifier
from mes.domain.errors import Unauthorized
from mes.domain.professionals import PROFESSIONS, ProIdentity
from mes.settings import Settings
from mes_local.psc import LocalPsc

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ISSUER = "https://psc.example/realms/test"
RPPS = "10003456789"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, Any], claims: dict[str, Any], sign=lambda signing_input: b"") -> str:
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64(sign(signing_input.encode()))}"


@pytest.fixture(scope="module")
def provider() -> LocalPsc:
    return LocalPsc(issuer=ISSUER, audience="mes")


@pytest.fixture(scope="module")
def verifier(provider: LocalPsc) -> PscVerifier:
    return PscVerifier(ISSUER, "mes", provider.jwks())


def refused(verifier: PscVerifier, token: Any, now: datetime = NOW) -> None:
    with pytest.raises(Unauthorized):
        verifier.verify(token, now)


# -------------------------------------------------------------------------------------------------
# Accepted tokens
# -------------------------------------------------------------------------------------------------
def test_a_valid_token_gives_the_identity(provider: LocalPsc, verifier: PscVerifier):
    token = provider.issue(RPPS, "21", structure="750712184", name="Marie Curie", now=NOW)
    assert verifier.verify(token, NOW) == ProIdentity(rpps=RPPS, profession="21", structure="750712184",
                                                      name="Marie Curie", occupational=False)
    assert verifier.verify(token, NOW).profession_label == "pharmacien"


def test_minimal_token_and_optional_fields(provider: LocalPsc, verifier: PscVerifier):
    identity = verifier.verify(provider.issue(RPPS, "60", now=NOW), NOW)
    assert (identity.structure, identity.name, identity.occupational) == (None, None, False)
    identity = verifier.verify(provider.issue(RPPS, "10", structure="cabinet-42", occupational=True, now=NOW), NOW)
    assert identity.structure == "cabinet-42" and identity.occupational is True and identity.profession == "10"


def test_claim_names_follow_pro_sante_connect(provider: LocalPsc):
    claims = provider.claims(RPPS, "10", structure="750712184", name="Jean Dupont", occupational=True, now=NOW)
    assert claims["SubjectNameID"] == "8" + RPPS
    exercise = claims["SubjectRefPro"]["exercices"][0]
    assert exercise["codeProfession"] == "10" and exercise["occupational"] is True
    assert exercise["activities"][0]["numeroFinessSite"] == "750712184"
    assert (claims["given_name"], claims["family_name"]) == ("Jean", "Dupont")
    assert claims["iss"] == ISSUER and claims["aud"] == "mes" and claims["exp"] - claims["iat"] == 3600


def test_audience_list_holding_ours(provider: LocalPsc, verifier: PscVerifier):
    assert verifier.verify(provider.issue(RPPS, "10", now=NOW, aud=["mes"]), NOW).rpps == RPPS
    assert verifier.verify(provider.issue(RPPS, "10", now=NOW, aud=["other", "mes"], azp="mes"), NOW).rpps == RPPS
    refused(verifier, provider.issue(RPPS, "10", now=NOW, aud=["other", "mes"], azp="other"))
    refused(verifier, provider.issue(RPPS, "10", now=NOW, aud=["other"]))


def test_expiry_is_checked_against_the_injected_clock_not_the_wall_clock(provider: LocalPsc):
    verifier = PscVerifier(ISSUER, "mes", provider.jwks())
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    token = provider.issue(RPPS, "10", now=long_ago, ttl=600)
    assert verifier.verify(token, long_ago + timedelta(seconds=599)).rpps == RPPS
    refused(verifier, token, long_ago + timedelta(seconds=600))
    refused(verifier, provider.issue(RPPS, "10", now=NOW, ttl=600), NOW + timedelta(hours=1))


def test_key_rotation_both_pinned_keys_are_accepted(provider: LocalPsc):
    new = LocalPsc(issuer=ISSUER, audience="mes")
    both = PscVerifier(ISSUER, "mes", {"keys": provider.jwks()["keys"] + new.jwks()["keys"]})
    assert both.verify(provider.issue(RPPS, "10", now=NOW), NOW).rpps == RPPS
    assert both.verify(new.issue(RPPS, "10", now=NOW), NOW).rpps == RPPS
    only_new = PscVerifier(ISSUER, "mes", new.jwks_json())  # the JSON text works too (PSC_JWKS)
    refused(only_new, provider.issue(RPPS, "10", now=NOW))


def test_es256_with_a_p256_key():
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = {**ECAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": "ec-1", "use": "sig"}
    verifier = PscVerifier(ISSUER, "mes", {"keys": [jwk]})
    claims = LocalPsc(issuer=ISSUER).claims(RPPS, "40", now=NOW)
    assert verifier.verify(jwt.encode(claims, key, "ES256", headers={"kid": "ec-1"}), NOW).profession == "40"
    # An EC key is not an RSA key, and ES384 is not in the fixed list
    refused(verifier, forge({"alg": "RS256", "kid": "ec-1"}, claims, lambda m: b"x" * 256))
    p384 = ec.generate_private_key(ec.SECP384R1())
    jwk384 = {**ECAlgorithm.to_jwk(p384.public_key(), as_dict=True), "kid": "ec-2"}
    refused(PscVerifier(ISSUER, "mes", {"keys": [jwk384]}),
            jwt.encode(claims, p384, "ES384", headers={"kid": "ec-2"}))
    # A P-384 key pinned under a kid cannot pass for ES256 either
    refused(PscVerifier(ISSUER, "mes", {"keys": [jwk384]}, algorithms=("ES256",)),
            forge({"alg": "ES256", "kid": "ec-2"}, claims, lambda m: b"x" * 64))


def test_keys_are_parsed_once_per_instance(provider: LocalPsc, monkeypatch):
    calls = []
    original = RSAAlgorithm.from_jwk
    monkeypatch.setattr(RSAAlgorithm, "from_jwk", staticmethod(lambda jwk: calls.append(1) or original(jwk)))
    verifier = PscVerifier(ISSUER, "mes", provider.jwks())
    for _ in range(3):
        verifier.verify(provider.issue(RPPS, "10", now=NOW), NOW)
    assert len(calls) == 1


# -------------------------------------------------------------------------------------------------
# Forged and wrong tokens: 401
# -------------------------------------------------------------------------------------------------
def test_alg_none_is_refused(provider: LocalPsc, verifier: PscVerifier):
    claims = provider.claims(RPPS, "10", now=NOW)
    refused(verifier, forge({"alg": "none", "kid": provider.kid}, claims))
    refused(verifier, forge({"alg": "None", "kid": provider.kid}, claims))
    refused(verifier, forge({"alg": "none", "typ": "JWT"}, claims))


def test_hs256_signed_with_the_public_key_is_refused(provider: LocalPsc, verifier: PscVerifier):
    """RS/HS confusion: an attacker HMACs with the (public) key material the server trusts."""
    claims = provider.claims(RPPS, "10", now=NOW)
    public = RSAAlgorithm.from_jwk(provider.jwks()["keys"][0])
    for secret in (public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
                   public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1),
                   json.dumps(provider.jwks()["keys"][0]).encode()):
        for alg, digest in (("HS256", hashlib.sha256), ("HS512", hashlib.sha512)):
            token = forge({"alg": alg, "kid": provider.kid, "typ": "JWT"}, claims,
                          lambda m, s=secret, d=digest: hmac.new(s, m, d).digest())
            refused(verifier, token)


def test_hmac_or_none_cannot_even_be_configured(provider: LocalPsc):
    for algorithms in (("HS256",), ("RS256", "none"), ("RS256", "HS512")):
        with pytest.raises(ValueError):
            PscVerifier(ISSUER, "mes", provider.jwks(), algorithms=algorithms)


def test_unknown_or_missing_kid_is_refused(provider: LocalPsc, verifier: PscVerifier):
    claims = provider.claims(RPPS, "10", now=NOW)
    refused(verifier, provider.sign(claims, headers={"kid": "unknown"}))
    refused(verifier, forge({"alg": "RS256"}, claims, lambda m: b"x" * 256))
    refused(verifier, forge({"alg": "RS256", "kid": 7}, claims, lambda m: b"x" * 256))


def test_a_key_that_is_not_pinned_is_refused_even_with_the_same_kid(provider: LocalPsc, verifier: PscVerifier):
    attacker = LocalPsc(issuer=ISSUER, audience="mes", kid=provider.kid)
    refused(verifier, attacker.issue(RPPS, "10", now=NOW))
    # Keys offered by the token itself (jwk, jku, x5u headers) are never used
    jwk = attacker.jwks()["keys"][0]
    refused(verifier, attacker.sign(attacker.claims(RPPS, "10", now=NOW),
                                    headers={"jwk": jwk, "jku": "https://evil.example/jwks"}))


def test_tampered_payload_is_refused(provider: LocalPsc, verifier: PscVerifier):
    header, _, signature = provider.issue(RPPS, "21", now=NOW).split(".")
    other = provider.claims(RPPS, "10", now=NOW)
    refused(verifier, f"{header}.{b64(json.dumps(other).encode())}.{signature}")


def test_jwk_alg_must_match(provider: LocalPsc):
    verifier = PscVerifier(ISSUER, "mes", provider.jwks(), algorithms=("RS256", "PS256"))  # the JWK says RS256
    claims = provider.claims(RPPS, "10", now=NOW)
    refused(verifier, jwt.encode(claims, provider._private_key, "PS256", headers={"kid": provider.kid}))


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_weak_rsa_keys_are_refused():
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    jwk = {**RSAAlgorithm.to_jwk(weak.public_key(), as_dict=True), "kid": "weak"}
    claims = LocalPsc(issuer=ISSUER).claims(RPPS, "10", now=NOW)
    refused(PscVerifier(ISSUER, "mes", {"keys": [jwk]}), jwt.encode(claims, weak, "RS256", headers={"kid": "weak"}))


@pytest.mark.parametrize("overrides", [
    {"iss": "https://psc.example/realms/other"}, {"iss": ISSUER + "/"}, {"iss": [ISSUER]}, {"iss": None},
    {"aud": "other"}, {"aud": "MES"}, {"aud": None}, {"aud": []},
    {"exp": None}, {"exp": "9999999999"}, {"exp": True},
    {"iat": None}, {"iat": "1772442000"},
    {"iat": int(NOW.timestamp()) + 3600, "exp": int(NOW.timestamp()) + 7200},
    {"nbf": int(NOW.timestamp()) + 3600},
])
def test_wrong_iss_aud_exp_iat_are_refused(provider: LocalPsc, verifier: PscVerifier, overrides: dict[str, Any]):
    refused(verifier, provider.issue(RPPS, "10", now=NOW, **overrides))


def test_expired_against_now(provider: LocalPsc, verifier: PscVerifier):
    refused(verifier, provider.issue(RPPS, "10", now=NOW - timedelta(hours=2), ttl=3600))
    refused(verifier, provider.issue(RPPS, "10", now=NOW - timedelta(hours=1), ttl=3600))  # exp == now


@pytest.mark.parametrize("overrides", [
    {"SubjectNameID": None}, {"SubjectNameID": "10003456789"}, {"SubjectNameID": "0123456789"},
    {"SubjectNameID": "81000345678"}, {"SubjectNameID": "8100034567890"}, {"SubjectNameID": "8１０００３４５６７８９"},
    {"SubjectNameID": 810003456789},
    {"SubjectRefPro": None}, {"SubjectRefPro": {}}, {"SubjectRefPro": {"exercices": []}},
    {"SubjectRefPro": {"exercices": [{}]}}, {"SubjectRefPro": {"exercices": [{"codeProfession": 10}]}},
    {"SubjectRefPro": {"exercices": [{"codeProfession": "1"}]}},
    {"SubjectRefPro": {"exercices": [{"codeProfession": "médecin"}]}},
    {"SubjectRefPro": {"exercices": [{"codeProfession": "10", "occupational": "true"}]}},
    {"SubjectRefPro": "10"},
])
def test_missing_or_invalid_rpps_or_profession_is_refused(provider: LocalPsc, verifier: PscVerifier,
                                                           overrides: dict[str, Any]):
    refused(verifier, provider.issue(RPPS, "10", now=NOW, **overrides))


def test_identity_comes_from_the_token_only(provider: LocalPsc, verifier: PscVerifier):
    """`sub`/`preferred_username` are not read: only SubjectNameID says who the PS is."""
    token = provider.issue(RPPS, "10", now=NOW, sub="8" + "19999999999", preferred_username="819999999999")
    assert verifier.verify(token, NOW).rpps == RPPS


@pytest.mark.parametrize("token", [
    "", "abc", "a.b", "a.b.c", "a.b.c.d", "..", "eyJhbGciOiJSUzI1NiJ9..", None, 42, b"x.y.z",
])
def test_malformed_tokens_are_refused(verifier: PscVerifier, token: Any):
    refused(verifier, token)


def test_malformed_header_and_payload(provider: LocalPsc, verifier: PscVerifier):
    good = provider.issue(RPPS, "10", now=NOW)
    header, payload, signature = good.split(".")
    refused(verifier, f"{b64(b'not json')}.{payload}.{signature}")
    refused(verifier, f"{header}.{b64(b'[1, 2]')}.{signature}")
    refused(verifier, f"{header}.{payload}.{signature[:-4]}")
    refused(verifier, provider.sign(provider.claims(RPPS, "10", now=NOW), headers={"crit": ["exp"]}))


def test_a_token_longer_than_8_kb_is_refused_even_when_validly_signed(provider: LocalPsc, verifier: PscVerifier):
    """Bounded work per request: the length is checked before anything is decoded."""
    claims = provider.claims(RPPS, "10", now=NOW)
    assert verifier.verify(provider.sign(claims, headers={"pad": "A" * 5000}), NOW)
    huge = provider.sign(claims, headers={"pad": "A" * 100_000})
    assert len(huge) > 100_000
    refused(verifier, huge)


# -------------------------------------------------------------------------------------------------
# Configuration
# -------------------------------------------------------------------------------------------------
def test_an_empty_configuration_refuses_every_token(provider: LocalPsc):
    token = provider.issue(RPPS, "10", now=NOW)
    refused(PscVerifier(ISSUER, "mes", {"keys": []}), token)
    refused(PscVerifier(ISSUER, "mes", ""), token)
    refused(PscVerifier("", "mes", provider.jwks()), provider.issue(RPPS, "10", now=NOW, iss=""))
    refused(PscVerifier(ISSUER, "", provider.jwks()), provider.issue(RPPS, "10", now=NOW, aud=""))


def test_a_broken_jwks_is_a_configuration_error(provider: LocalPsc):
    for jwks in ("{not json", "[]", {"keys": "x"}, {}):
        with pytest.raises(ValueError):
            PscVerifier(ISSUER, "mes", jwks)
    private = LocalPsc(issuer=ISSUER)
    jwk = {**RSAAlgorithm.to_jwk(private._private_key, as_dict=True), "kid": "leaked"}
    for keys in ([jwk], [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}], [{"kty": "RSA", "kid": "bad", "n": "!", "e": "!"}],
                 provider.jwks()["keys"] * 2):
        verifier = PscVerifier(ISSUER, "mes", {"keys": keys})
        with pytest.raises(ValueError):
            verifier.verify(provider.issue(RPPS, "10", now=NOW), NOW)


def test_encryption_keys_and_other_key_types_are_skipped(provider: LocalPsc):
    keys = [{**provider.jwks()["keys"][0], "use": "enc"}, {"kty": "oct", "kid": provider.kid, "k": "c2VjcmV0"}]
    refused(PscVerifier(ISSUER, "mes", {"keys": keys}), provider.issue(RPPS, "10", now=NOW))


def test_settings_read_the_psc_environment(provider: LocalPsc):
    # every required variable (issue 10: required fields are required), and no PSC_* variable
    env = {field.alias: "x" for field in Settings.model_fields.values() if field.is_required()}
    assert (Settings.from_env(env).psc_issuer, Settings.from_env(env).psc_jwks) == ("", "")
    settings = Settings.from_env({**env, **provider.env()})
    assert (settings.psc_issuer, settings.psc_audience) == (ISSUER, "mes")
    assert json.loads(settings.psc_jwks) == provider.jwks()


def test_local_stand_in_reuses_its_key(provider: LocalPsc):
    again = LocalPsc(issuer=ISSUER, audience="mes", private_key_pem=provider.private_key_pem())
    assert again.kid == provider.kid and again.jwks() == provider.jwks()
    assert "d" not in provider.jwks()["keys"][0]


def test_pro_identity_invariants():
    with pytest.raises(ValueError):
        ProIdentity(rpps="1234", profession="10")
    with pytest.raises(ValueError):
        ProIdentity(rpps=RPPS, profession="médecin")
    assert set(PROFESSIONS) == {"10", "21", "40", "50", "60", "70", "80", "28"}
    assert ProIdentity(rpps=RPPS, profession="91").profession_label is None

"""Passwords (BR-13) and tokens (BR-11, BR-28 style checks: pinned algorithm, exact iss/aud, exp)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from argon2 import Type
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from mes.adapters.aws import verify_jwt
from mes.domain.errors import Unauthorized
from mes.domain.passwords import MEMORY_KIB, TIME_COST, Argon2Hasher
from tests.fakes import FakeHasher, LocalTokenService

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class TestArgon2Hasher:
    def test_given_the_real_hasher_when_hashing_then_argon2id_with_at_least_19_mib_and_t_2(self):
        """BR-13: Argon2id, ≥ 19 MiB, t ≥ 2 (the OWASP minimum); salted; verify tolerates bad hashes."""
        hasher = Argon2Hasher()
        digest = hasher.hash("correct horse battery")

        assert digest.startswith("$argon2id$")
        params = dict(p.split("=") for p in digest.split("$")[3].split(","))
        assert int(params["m"]) >= 19 * 1024 and int(params["t"]) >= 2
        assert hasher._ph.type is Type.ID
        assert MEMORY_KIB >= 19 * 1024 and TIME_COST >= 2
        assert hasher.verify(digest, "correct horse battery")
        assert not hasher.verify(digest, "correct horse batterx")
        assert not hasher.verify("not-a-hash", "correct horse battery")
        assert hasher.hash("correct horse battery") != digest
        hasher.dummy_verify("anything")  # same work for an unknown login (BR-12), never raises

    def test_given_the_fake_hasher_then_it_honours_the_same_protocol(self):
        hasher = FakeHasher()
        digest = hasher.hash("correct horse battery")
        assert hasher.verify(digest, "correct horse battery")
        assert not hasher.verify(digest, "wrong")
        hasher.dummy_verify("x")
        assert hasher.dummy_calls == 1


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def claims(**changes) -> dict:
    base = {"aud": "mes-holder", "sub": "esp-1", "jti": "j-1", "iat": int(NOW.timestamp()),
            "exp": int((NOW + timedelta(minutes=15)).timestamp())}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


SERVICE = LocalTokenService(issuer="mes", kid="local")


def fake_verify(token: str, audience: str, now: datetime) -> dict:
    return SERVICE.verify(token, audience, now)


def real_verify(token: str, audience: str, now: datetime) -> dict:
    """The function the KMS-backed adapter uses, with the same public key."""
    return verify_jwt(token, SERVICE.public_key, audience, "mes", "local", now)


@pytest.fixture(params=[fake_verify, real_verify], ids=["fake", "adapter"])
def verify(request):
    return request.param


class TestTokens:
    def test_given_a_signed_token_when_verified_then_claims_with_issuer(self, verify):
        token = SERVICE.sign(claims())
        assert jwt.get_unverified_header(token)["alg"] == "ES256"
        got = verify(token, "mes-holder", NOW)
        assert (got["sub"], got["iss"], got["aud"]) == ("esp-1", "mes", "mes-holder")

    @pytest.mark.parametrize("at", [NOW + timedelta(minutes=15), NOW + timedelta(days=1)], ids=["at-exp", "after"])
    def test_given_the_injected_clock_past_exp_when_verified_then_unauthorized(self, verify, at):
        """Expiry is checked against the `now` given, not the wall clock."""
        token = SERVICE.sign(claims())
        assert verify(token, "mes-holder", NOW + timedelta(minutes=14, seconds=59))
        with pytest.raises(Unauthorized):
            verify(token, "mes-holder", at)

    def test_given_another_audience_when_verified_then_unauthorized(self, verify):
        """An enrolment token is not a holder token."""
        with pytest.raises(Unauthorized):
            verify(SERVICE.sign(claims(aud="mes-enrolment")), "mes-holder", NOW)

    def test_given_another_issuer_when_verified_then_unauthorized(self, verify):
        other = LocalTokenService(issuer="someone-else", private_key=SERVICE.private_key, kid="local")
        with pytest.raises(Unauthorized):
            verify(other.sign(claims()), "mes-holder", NOW)

    @pytest.mark.parametrize("missing", ["exp", "jti", "sub", "iat"])
    def test_given_a_required_claim_missing_when_verified_then_unauthorized(self, verify, missing):
        with pytest.raises(Unauthorized):
            verify(SERVICE.sign(claims(**{missing: None})), "mes-holder", NOW)

    @pytest.mark.parametrize("claim", ["iat", "nbf"])
    def test_given_iat_or_nbf_ahead_of_the_clock_when_verified_then_60_s_of_skew_only(self, verify, claim):
        """Same tolerance as PS tokens (BR-28 checks, `mes.adapters.psc.CLOCK_SKEW_SECONDS`): a token
        issued (or valid from) an hour ahead is refused; a minute of clock skew is tolerated."""
        at = int(NOW.timestamp())
        assert verify(SERVICE.sign(claims(**{claim: at + 60})), "mes-holder", NOW)
        for ahead in (61, 3600):
            with pytest.raises(Unauthorized):
                verify(SERVICE.sign(claims(**{claim: at + ahead})), "mes-holder", NOW)

    @pytest.mark.parametrize("value", ["1700000000", True, None, [1]], ids=["string", "bool", "null", "list"])
    def test_given_a_time_claim_of_the_wrong_type_when_verified_then_unauthorized(self, verify, value):
        payload = {"iss": "mes", **claims(), "iat": value}
        token = jwt.encode(payload, SERVICE.private_key, algorithm="ES256", headers={"kid": "local"})
        with pytest.raises(Unauthorized):
            verify(token, "mes-holder", NOW)

    def test_given_a_token_longer_than_8_kb_when_verified_then_unauthorized_even_if_validly_signed(self, verify):
        """Bounded work per request: the length is checked before anything is decoded."""
        padded = jwt.encode({"iss": "mes", **claims()}, SERVICE.private_key, algorithm="ES256",
                            headers={"kid": "local", "pad": "A" * 5000})
        assert verify(padded, "mes-holder", NOW)
        huge = jwt.encode({"iss": "mes", **claims()}, SERVICE.private_key, algorithm="ES256",
                          headers={"kid": "local", "pad": "A" * 100_000})
        with pytest.raises(Unauthorized):
            verify(huge, "mes-holder", NOW)

    def test_given_another_key_when_verified_then_unauthorized(self, verify):
        stranger = LocalTokenService(private_key=ec.generate_private_key(ec.SECP256R1()), kid="local")
        with pytest.raises(Unauthorized):
            verify(stranger.sign(claims()), "mes-holder", NOW)

    def test_given_alg_none_or_hs256_with_the_public_key_when_verified_then_unauthorized(self, verify):
        """The algorithm is pinned: no `none`, no HMAC keyed with the public key (algorithm confusion)."""
        payload = {"iss": "mes", **claims()}
        unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': 'local'})}.{_b64(payload)}."
        with pytest.raises(Unauthorized):
            verify(unsigned, "mes-holder", NOW)
        pem = SERVICE.public_key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
        header = {"alg": "HS256", "typ": "JWT", "kid": "local"}
        signing_input = f"{_b64(header)}.{_b64(payload)}"
        mac = base64.urlsafe_b64encode(hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()).rstrip(b"=")
        with pytest.raises(Unauthorized):
            verify(f"{signing_input}.{mac.decode()}", "mes-holder", NOW)

    def test_given_a_tampered_payload_or_garbage_when_verified_then_unauthorized(self, verify):
        header, _, signature = SERVICE.sign(claims()).split(".")
        forged = f"{header}.{_b64({'iss': 'mes', **claims(sub='esp-2')})}.{signature}"
        for token in (forged, "not.a.token", ""):
            with pytest.raises(Unauthorized):
                verify(token, "mes-holder", NOW)

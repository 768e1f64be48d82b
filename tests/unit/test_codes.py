"""Provisional codes (BR-06), one-time codes (BR-11), keyed hashes (BR-02)."""

from __future__ import annotations

import re

import pytest

from mes.domain.codes import (
    ALPHABET,
    CODE_LENGTH,
    code_matches,
    derive_code,
    hash_otp,
    keyed_hash,
    looks_like_code,
    new_otp,
    otp_matches,
)
from mes.domain.keys import Keys

KEYS = Keys.derive("unit-test-master-secret-0123456789abcdef")


class TestProvisionalCode:
    def test_given_an_espace_when_a_code_is_derived_then_12_characters_of_the_alphabet(self):
        """BR-06: exactly 12 characters [0-9A-Za-z]."""
        assert ALPHABET == "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        for seq in range(1, 50):
            code = derive_code(KEYS.code, f"esp-{seq}", seq)
            assert len(code) == CODE_LENGTH == 12
            assert re.fullmatch(r"[0-9A-Za-z]{12}", code)
            assert looks_like_code(code)

    def test_given_the_same_espace_and_sequence_when_derived_twice_then_the_same_code(self):
        """BR-06: a job that dies between claim and send re-sends the same code (nothing stored in clear)."""
        assert derive_code(KEYS.code, "esp-1", 1) == derive_code(KEYS.code, "esp-1", 1)

    def test_given_another_sequence_espace_or_key_when_derived_then_another_code(self):
        """BR-06/BR-09: a renewal (sequence + 1) gives a new code; codes depend on the secret key."""
        codes = {derive_code(KEYS.code, "esp-1", seq) for seq in range(1, 200)}
        assert len(codes) == 199
        assert derive_code(KEYS.code, "esp-1", 1) != derive_code(KEYS.code, "esp-2", 1)
        other = Keys.derive("another-master-secret-0123456789abcdef")
        assert derive_code(other.code, "esp-1", 1) != derive_code(KEYS.code, "esp-1", 1)

    def test_given_codes_when_matched_then_only_the_current_sequence_and_never_sequence_0(self):
        code = derive_code(KEYS.code, "esp-1", 2)
        assert code_matches(KEYS.code, "esp-1", 2, code)
        assert code_matches(KEYS.code, "esp-1", 2, f" {code} ")
        assert not code_matches(KEYS.code, "esp-1", 1, code)
        assert not code_matches(KEYS.code, "esp-2", 2, code)
        assert not code_matches(KEYS.code, "esp-1", 0, derive_code(KEYS.code, "esp-1", 0))
        assert not code_matches(KEYS.code, "esp-1", 2, code.swapcase())
        assert not code_matches(KEYS.code, "esp-1", 2, None)  # type: ignore[arg-type]

    def test_given_strings_when_checked_for_code_shape_then_only_12_alphanumerics(self):
        assert not looks_like_code("ABCDEFGHIJK")
        assert not looks_like_code("ABCDEFGHIJK-")
        assert not looks_like_code("ABCDEFGHIJKLM")


class TestOneTimeCode:
    def test_given_new_otps_when_drawn_then_6_digits_and_varied(self):
        """BR-11: 6 digits from the CSPRNG, leading zeros kept."""
        drawn = [new_otp() for _ in range(300)]
        assert all(re.fullmatch(r"[0-9]{6}", otp) for otp in drawn)
        assert len(set(drawn)) > 250

    def test_given_an_otp_hash_when_checked_then_bound_to_its_challenge(self):
        """BR-11: the same digits for another challenge give another hash."""
        digest = hash_otp(KEYS.otp, "challenge-1", "123456")
        assert digest == hash_otp(KEYS.otp, "challenge-1", "123456")
        assert digest != hash_otp(KEYS.otp, "challenge-2", "123456")
        assert otp_matches(KEYS.otp, "challenge-1", "123456", digest)
        assert not otp_matches(KEYS.otp, "challenge-2", "123456", digest)
        assert not otp_matches(KEYS.otp, "challenge-1", "123457", digest)

    @pytest.mark.parametrize("otp", ["12345", "1234567", "12345a", "", None])
    def test_given_a_malformed_otp_when_checked_then_refused(self, otp):
        digest = hash_otp(KEYS.otp, "c", str(otp))
        assert not otp_matches(KEYS.otp, "c", otp, digest)  # type: ignore[arg-type]


class TestKeys:
    def test_given_a_master_secret_when_derived_then_one_distinct_key_per_purpose(self):
        """BR-02: people are found by an HMAC of the NIR, never the clear NIR."""
        assert len({KEYS.nir, KEYS.vitale, KEYS.code, KEYS.otp, KEYS.login}) == 5
        assert KEYS.nir_hmac("185054412345678") == KEYS.nir_hmac("185054412345678")
        assert "185054412345678" not in KEYS.nir_hmac("185054412345678")
        assert KEYS.nir_hmac("185054412345678") != keyed_hash(KEYS.vitale, "nir", "185054412345678")
        with pytest.raises(ValueError):
            Keys.derive("too-short")

"""Identity rules: NIR (BR-01), Vitale serial and birth date (BR-03), identifiers (BR-10),
passwords (BR-13), contacts."""

from __future__ import annotations

from datetime import date

import pytest

from mes.domain.errors import ValidationError
from mes.domain.identity import (
    age_on,
    normalise_mobile,
    normalise_nir,
    normalise_vitale_serial,
    parse_birth_date,
    validate_email,
    validate_login,
    validate_password,
)
from tests.fakes import make_nir

VALID = make_nir(1, date(1985, 5, 1), "44", 123, 456)


def with_key(body: str) -> str:
    number = int(body.replace("2A", "19").replace("2B", "18"))
    return body + f"{97 - number % 97:02d}"


class TestNir:
    def test_given_a_valid_nir_when_normalised_then_returned_compact(self):
        """BR-01: 13 characters + a 2-digit key = 97 - (number mod 97)."""
        assert normalise_nir(VALID) == VALID
        spaced = " ".join([VALID[0], VALID[1:3], VALID[3:5], VALID[5:7], VALID[7:10], VALID[10:13], VALID[13:]])
        assert normalise_nir(spaced) == VALID

    @pytest.mark.parametrize("department, replaced", [("2A", "19"), ("2B", "18")])
    def test_given_a_corsican_nir_when_normalised_then_key_computed_with_19_or_18(self, department, replaced):
        """BR-01: 2A → 19 and 2B → 18 for the key."""
        body = f"18505{department}123456"
        nir = body + f"{97 - int(body.replace(department, replaced)) % 97:02d}"
        assert normalise_nir(nir) == nir
        assert normalise_nir(nir.lower()) == nir
        wrong_key = body + f"{97 - int(body.replace(department, '20')) % 97:02d}"
        if wrong_key != nir:
            with pytest.raises(ValidationError):
                normalise_nir(wrong_key)

    def test_given_a_key_of_97_when_normalised_then_valid(self):
        """BR-01: the key ranges 01..97 (97 when the number is a multiple of 97)."""
        body = next(b for n in range(1850544123000, 1850544124000) if (b := str(n)) and n % 97 == 0)
        assert normalise_nir(body + "97") == body + "97"

    @pytest.mark.parametrize("nir", [
        VALID[:13] + f"{(int(VALID[13:]) % 97) + 1:02d}",  # wrong key
        VALID[:-1],  # 14 characters
        VALID + "0",  # 16 characters
        "",
        "1850544123A5612",  # a letter outside the department
        "18505XX12345612",
    ], ids=["wrong-key", "too-short", "too-long", "empty", "letter", "bad-department"])
    def test_given_a_malformed_nir_when_normalised_then_validation_error_on_field_nir(self, nir):
        """BR-01: an invalid NIR is a 400 before any lookup."""
        with pytest.raises(ValidationError) as caught:
            normalise_nir(nir)
        assert caught.value.field == "nir"

    @pytest.mark.parametrize("sex", [0, 3, 4, 7, 8, 9])
    def test_given_a_sex_digit_other_than_1_or_2_when_normalised_then_refused(self, sex):
        """BR-01: the first digit is the sex, 1 or 2 (3/4/7/8 are temporary numbers, not INS)."""
        with pytest.raises(ValidationError):
            normalise_nir(with_key(f"{sex}850544123456"))

    @pytest.mark.parametrize("month, valid", [
        ("00", False), ("01", True), ("12", True), ("13", False), ("19", False), ("20", True), ("42", True),
        ("43", False), ("49", False), ("50", True), ("99", True)])
    def test_given_a_birth_month_when_normalised_then_only_real_or_insee_months(self, month, valid):
        """BR-01: month 01-12, or 20-42 / 50-99 when INSEE did not know it."""
        nir = with_key(f"185{month}44123456")
        if valid:
            assert normalise_nir(nir) == nir
        else:
            with pytest.raises(ValidationError):
                normalise_nir(nir)

    def test_given_not_a_string_when_normalised_then_validation_error(self):
        with pytest.raises(ValidationError):
            normalise_nir(185054412345678)  # type: ignore[arg-type]


class TestVitaleSerialAndBirthDate:
    @pytest.mark.parametrize("serial, expected", [
        ("12345678", "12345678"),  # card without photo: 8..13 digits
        ("1234567890123", "1234567890123"),
        ("123 456 789 01", "12345678901"),
        ("99912345678901", "12345678901"),  # card with photo: the last 11 digits
        ("0000000000012345678901", "12345678901"),
    ])
    def test_given_a_serial_when_normalised_then_the_digits_to_compare(self, serial, expected):
        """BR-03: photo card → last 11 digits; card without photo → 8 to 13 digits."""
        assert normalise_vitale_serial(serial) == expected

    @pytest.mark.parametrize("serial", ["1234567", "", "12345678a", "12-345-678", "1" * 23, None])
    def test_given_a_bad_serial_when_normalised_then_refused(self, serial):
        with pytest.raises(ValidationError) as caught:
            normalise_vitale_serial(serial)
        assert caught.value.field == "vitale_serial"

    def test_given_dates_when_parsed_then_iso_only_and_not_in_the_future(self):
        """BR-03: the birth date disambiguates people sharing a card."""
        assert parse_birth_date("2001-02-03") == date(2001, 2, 3)
        for bad in ("03/02/2001", "2001-02-30", "1889-12-31", "", None):
            with pytest.raises(ValidationError):
                parse_birth_date(bad)  # type: ignore[arg-type]
        with pytest.raises(ValidationError):
            parse_birth_date("2026-03-03", today=date(2026, 3, 2))
        assert age_on(date(2008, 3, 3), date(2026, 3, 2)) == 17
        assert age_on(date(2008, 3, 2), date(2026, 3, 2)) == 18


class TestLogin:
    @pytest.mark.parametrize("login", ["alice.martin", "a_b-c.d9", "12345678", "x" * 100])
    def test_given_an_allowed_login_when_validated_then_kept(self, login):
        """BR-10: 8-100 characters among [a-z0-9_.-]."""
        assert validate_login(login) == login

    @pytest.mark.parametrize("login", [
        "short", "x" * 101, "Alice.Martin", "alice martin", "alice@example.org", "élodie.martin", "", None])
    def test_given_a_login_outside_the_rules_when_validated_then_refused(self, login):
        """BR-10: charset, length, not an e-mail."""
        with pytest.raises(ValidationError) as caught:
            validate_login(login)
        assert caught.value.field == "login"

    @pytest.mark.parametrize("login", [VALID, VALID[:13], "fr7630006000011234567890189", "de89370400440532013000"],
                             ids=["nir", "nir-without-key", "iban-fr", "iban-de"])
    def test_given_a_nir_or_an_iban_when_used_as_login_then_refused(self, login):
        """BR-10: an identifier is not a NIR nor an IBAN."""
        with pytest.raises(ValidationError):
            validate_login(login)

    @pytest.mark.parametrize("login", [with_key("185052A123456").lower(), with_key("285102B654321").lower(),
                                       ".".join([VALID[0], VALID[1:3], VALID[3:5], VALID[5:7], VALID[7:10],
                                                 VALID[10:13], VALID[13:]])],
                             ids=["corsican-2a", "corsican-2b", "dotted"])
    def test_given_a_nir_the_product_recognises_when_used_as_login_then_refused(self, login):
        """BR-10: not a NIR: what normalise_nir accepts as a NIR must not be an identifier."""
        assert normalise_nir(login)  # the product itself reads it as a NIR
        with pytest.raises(ValidationError):
            validate_login(login)


class TestPasswordPolicy:
    def test_given_12_varied_characters_when_validated_then_accepted(self):
        """BR-13: length ≥ 12, no composition rule (ANSSI/CNIL)."""
        assert validate_password("correct horse") == "correct horse"
        assert validate_password("a" * 4 + "bcd" + "x" * 5) == "aaaabcdxxxxx"

    @pytest.mark.parametrize("password, login", [
        ("elevenchars", None),  # 11 characters
        ("x" * 129, None),
        ("aaaaaaaaaaaa", None),  # one repeated character
        ("abababababab", None),
        ("abcabcabcabc", None),  # three distinct characters
        ("my-alice.martin-pw", "alice.martin"),
        ("MY-ALICE.MARTIN-PW", "alice.martin"),
        (None, None),
    ])
    def test_given_a_weak_password_when_validated_then_refused(self, password, login):
        """BR-13: too short, too long, too simple, or containing the login."""
        with pytest.raises(ValidationError) as caught:
            validate_password(password, login)
        assert caught.value.field == "password"


class TestContacts:
    @pytest.mark.parametrize("value, expected", [
        ("0612345678", "+33612345678"), ("07 12 34 56 78", "+33712345678"), ("06.12.34.56.78", "+33612345678"),
        ("+33612345678", "+33612345678"), ("+14155550100", "+14155550100"), ("06-12-34-56-78", "+33612345678"),
    ])
    def test_given_a_mobile_when_normalised_then_e164(self, value, expected):
        """BR-10/BR-11: SMS go to E.164 numbers (SNS requires it)."""
        assert normalise_mobile(value) == expected

    @pytest.mark.parametrize("value", ["0112345678", "061234567", "+0612345678", "+331", "0612345678x", "", None])
    def test_given_a_bad_mobile_when_normalised_then_refused(self, value):
        with pytest.raises(ValidationError) as caught:
            normalise_mobile(value)
        assert caught.value.field == "mobile"

    def test_given_emails_when_validated_then_lower_case_and_bad_ones_refused(self):
        assert validate_email("Alice.Martin@Example.ORG") == "alice.martin@example.org"
        for bad in ("alice", "alice@", "@example.org", "a b@example.org", "alice@example", None):
            with pytest.raises(ValidationError):
                validate_email(bad)  # type: ignore[arg-type]

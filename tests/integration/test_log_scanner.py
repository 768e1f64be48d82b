"""The suite-wide log scan (tests/conftest.py) can fail, and it really sees the application's logs."""

from __future__ import annotations

import json
import logging

from tests.support import leaks


def test_the_scanner_flags_nirs_tokens_and_remembered_values():
    lines = ['{"message": "lookup", "nir": "185057800608436"}',
             '{"message": "auth", "token": "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"}',
             '{"message": "otp sent", "value": "483920"}',
             '{"message": "espace created", "espace_id": "5f0c2a4e-1d2b-4c3a-9e8f-7a6b5c4d3e2f"}']
    found = leaks.find_leaks(lines, {"483920"})
    assert {line for _, line in found} == set(lines[:3])


def test_a_digit_value_counts_as_a_number_of_its_own_not_inside_a_longer_one():
    """An OTP equal to 6 digits of the fake account id is not a leak; the same OTP alone, or beside
    letters or punctuation, is one."""
    arn = '{"function_arn": "arn:aws:lambda:eu-west-3:123456789012:function:local"}'
    alone = ['{"message": "code 456789"}', '{"otp": "456789"}', '{"message": "otp=456789;"}',
             '{"message": "x456789y"}']
    assert leaks.find_leaks([arn], {"456789"}) == []
    assert [line for _, line in leaks.find_leaks(alone, {"456789"})] == alone
    assert leaks.find_leaks([arn], {"lambda:eu"}) != []  # other values: anywhere in the line


def test_every_api_log_line_is_captured(api):
    before = len(leaks.LINES)
    api.http.post("/auth/login", headers={"Content-Type": "application/json"},
                  body=json.dumps({"login": "nobody.here", "password": "whatever-password"}))
    new = leaks.LINES[before:]
    assert any("request refused" in line and "invalid_credentials" in line for line in new)
    # the capture formats like Powertools does: JSON with the correlation fields
    assert all(json.loads(line)["service"] == "mes" for line in new if line.startswith("{") and '"service"' in line)
    assert logging.getLogger("mes").handlers


def test_a_nir_is_a_token_of_its_own_not_the_digit_start_of_a_hex_id():
    """A random hex id (an S3 key from uuid4().hex) may start with 15 digits shaped like a NIR; it is
    not a NIR since letters follow. The same digits ending the value, or followed by punctuation, are."""
    hex_key = '{"key": "imports/107445391312413e89a1c2d3e4f5a6b7.csv"}'
    nirs = ['{"key": "imports/107445391312413.csv"}', '{"path": "/pro/patients/107445391312413/documents"}',
            '{"nir": "107445391312413"}']
    assert leaks.find_leaks([hex_key], set()) == []
    assert [line for _, line in leaks.find_leaks(nirs, set())] == nirs

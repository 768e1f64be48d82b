"""The log-leak scanner: every log line the suite produced is checked for sensitive values.

Tests register what they typed (NIRs, codes, OTPs, passwords, tokens) with `remember()`; patterns
catch the rest (any valid-looking NIR, any JWT)."""

from __future__ import annotations

import logging
import re

SENSITIVE: set[str] = set()
LINES: list[str] = []

NIR_PATTERN = re.compile(r"(?<![0-9A-Za-z])[12][0-9]{2}(0[1-9]|1[0-2]|[2-9][0-9])(2[AB]|[0-9]{2})[0-9]{6}[0-9]{2}(?![0-9A-Za-z])")
JWT_PATTERN = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+")


def remember(*values: object) -> None:
    for value in values:
        if isinstance(value, str) and len(value) >= 6:
            SENSITIVE.add(value)


def _inside_a_longer_number(value: str, line: str) -> bool:
    """A value of digits only (a 6-digit OTP) counts where it stands as a number of its own, not
    inside a longer one: an OTP that happens to equal 6 digits of the fake account id
    (arn:…:123456789012:…) in every Lambda context line is not a leak."""
    if not value.isdigit():
        return False
    return re.search(rf"(?<![0-9]){re.escape(value)}(?![0-9])", line) is None


def find_leaks(lines: list[str], sensitive: set[str]) -> list[tuple[str, str]]:
    leaks = []
    for line in lines:
        for value in sensitive:
            if value in line and not _inside_a_longer_number(value, line):
                leaks.append((value[:3] + "…", line[:200]))
        for pattern in (NIR_PATTERN, JWT_PATTERN):
            match = pattern.search(line)
            if match:
                leaks.append((pattern.pattern[:12] + "…", line[:200]))
    return leaks


class CaptureHandler(logging.Handler):
    """Formats records like the Powertools JSON formatter does, and keeps the lines."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
        self.setFormatter(LambdaPowertoolsFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        try:
            LINES.append(self.format(record))
        except Exception:  # noqa: BLE001
            LINES.append(record.getMessage())

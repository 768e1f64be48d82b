"""The log-leak scan of the browser suite: every line the stack under test logged (web/.e2e/stack.log)
is checked, with the project's scanner (tests/support/leaks.py), for the values the suite typed or
was sent (web/.e2e/secrets.txt: NIRs, codes, OTPs, passwords, tokens) and for anything shaped like a
NIR or a JWT. Exit 1 with the leaks (values cut to 3 characters) when there is one."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from tests.support.leaks import find_leaks  # noqa: E402 - after the path


def main() -> int:
    folder = ROOT / "web" / ".e2e"
    lines = (folder / "stack.log").read_text(encoding="utf-8", errors="replace").splitlines()
    secrets_file = folder / "secrets.txt"
    sensitive = {line for line in secrets_file.read_text(encoding="utf-8").splitlines() if len(line) >= 6} \
        if secrets_file.exists() else set()
    leaks = find_leaks(lines, sensitive)
    print(f"web log scan: {len(lines)} lines, {len(sensitive)} values, {len(leaks)} leaks")
    for value, line in leaks[:20]:
        print(f"  leak {value}: {line}")
    return 1 if leaks else 0


if __name__ == "__main__":
    sys.exit(main())

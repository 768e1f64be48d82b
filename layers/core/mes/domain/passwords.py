"""BR-13: Argon2id through argon2-cffi (a maintained binding of the reference implementation).

Parameters: the OWASP minimum for Argon2id (19 MiB, t=2, p=1); tunable by construction.
"""

from __future__ import annotations

from argon2 import PasswordHasher as _Argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MEMORY_KIB = 19 * 1024
TIME_COST = 2
PARALLELISM = 1


class Argon2Hasher:
    def __init__(self, memory_kib: int = MEMORY_KIB, time_cost: int = TIME_COST, parallelism: int = PARALLELISM):
        self._ph = _Argon2(memory_cost=memory_kib, time_cost=time_cost, parallelism=parallelism)
        self._dummy: str | None = None

    def hash(self, password: str) -> str:
        return self._ph.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._ph.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def dummy_verify(self, password: str) -> None:
        """Same work for an unknown login, so timing does not reveal whether it exists (BR-12)."""
        if self._dummy is None:
            self._dummy = self._ph.hash("mes-dummy-password-for-timing")
        self.verify(self._dummy, password)

"""Passwords: argon2id hashing (argon2-cffi) and the policy new passwords must meet.

The policy follows ASVS 5.0: 8 to 128 characters, any characters, no composition rules; not one of
the 10,000 most common passwords (``data/common-passwords.txt``, see its PROVENANCE.md) and not the
account's email. Hashing runs in a thread: at OWASP's parameters it costs tens of milliseconds of
CPU, which must not stall the event loop.
"""

from __future__ import annotations

import asyncio
import secrets
from functools import cache
from importlib.resources import files

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from chiiki_auth.config import AuthSettings

MIN_LENGTH = 8
MAX_LENGTH = 128


@cache
def common_passwords() -> frozenset[str]:
    text = (files("chiiki_auth") / "data" / "common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def password_problem(password: str, *, email: str) -> str | None:
    """Why ``password`` is refused for the account ``email``, or ``None`` when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"The password must have at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"The password must have at most {MAX_LENGTH} characters"
    lowered = password.casefold()
    if lowered == email.casefold() or lowered == email.split("@", 1)[0].casefold():
        return "The password must not be the email address"
    if lowered in common_passwords():
        return "The password is one of the most commonly used passwords"
    return None


class Passwords:
    """argon2id with the configured parameters; verification never raises."""

    def __init__(self, settings: AuthSettings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
            hash_len=32,
            salt_len=16,
            type=Type.ID,
        )
        # Verified against when the email is unknown, so both cases cost the same time.
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(24))

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        return await asyncio.to_thread(self._verify, password_hash, password)

    async def verify_dummy(self, password: str) -> None:
        await asyncio.to_thread(self._verify, self._dummy_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

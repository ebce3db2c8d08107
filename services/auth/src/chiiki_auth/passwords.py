"""Passwords: argon2id hashing (argon2-cffi) and the policy new passwords must meet.

The policy follows ASVS 5.0 V6.2: 8 to 128 characters, any characters, no composition rules; not
only whitespace; not containing the account's email or its local part (when that part has at
least ``MIN_LOCAL_PART`` characters), nor the product's name; not one of the 100,000 most common
breached passwords (``data/common-passwords.txt.gz``, see its PROVENANCE.md). Hashing runs in a
thread pool of its own, one thread per core (``AUTH_HASH_THREADS``): at OWASP's parameters a hash
costs tens of milliseconds of CPU, which must not stall the event loop, and argon2 releases the
GIL, so the cores hash in parallel. More threads than cores would not hash faster: each hash in
flight holds 19 MiB and evicts the others' caches, and the event loop would wait for a core.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import os
import secrets
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import TypeVar

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from chiiki_auth.config import AuthSettings

MIN_LENGTH = 8
MAX_LENGTH = 128
# Shorter local parts ("kai", "abe") turn up inside too many good passphrases by chance; for
# them only the whole address is refused.
MIN_LOCAL_PART = 4
PRODUCT_NAME = "chiiki"
BREACHED_LIST = "common-passwords.txt.gz"

T = TypeVar("T")


def _digest(password: str) -> int:
    return int.from_bytes(hashlib.blake2b(password.encode(), digest_size=8).digest(), "big")


class BreachedPasswords:
    """A case-insensitive set of passwords held as sorted 64-bit digests: 8 bytes a password
    (0.8 MB for 100,000) where a frozenset of strings takes about ten times as much. A random
    password matches a digest by chance with odds of 1 in 10^14."""

    def __init__(self, passwords: Iterable[str]) -> None:
        self._digests = array("Q", sorted(_digest(p.casefold()) for p in passwords))

    def __contains__(self, password: object) -> bool:
        if not isinstance(password, str):
            return False
        digest = _digest(password.casefold())
        index = bisect_left(self._digests, digest)
        return index < len(self._digests) and self._digests[index] == digest

    def __len__(self) -> int:
        return len(self._digests)

    @property
    def nbytes(self) -> int:
        return self._digests.itemsize * len(self._digests)


@cache
def common_passwords() -> BreachedPasswords:
    """The shipped list, loaded once (the app loads it at start-up). Streamed line by line: the
    decompressed text (0.9 MB) is never held whole, which keeps the process's RSS ~2 MB up."""
    with (
        (files("chiiki_auth") / "data" / BREACHED_LIST).open("rb") as raw,
        gzip.open(raw, "rt", encoding="utf-8") as lines,
    ):
        return BreachedPasswords(line.rstrip("\n") for line in lines)


@dataclass(frozen=True)
class PasswordProblem:
    """Which rule a password breaks (``rule`` is stable, for clients) and why, in words."""

    rule: str
    message: str


def password_problem(password: str, *, email: str) -> PasswordProblem | None:
    """Why ``password`` is refused for the account ``email``, or ``None`` when it is acceptable.
    The messages never repeat the password."""
    if password.isspace():
        return PasswordProblem("blank", "The password must not be only whitespace")
    if len(password) < MIN_LENGTH:
        return PasswordProblem(
            "too_short", f"The password must have at least {MIN_LENGTH} characters"
        )
    if len(password) > MAX_LENGTH:
        return PasswordProblem(
            "too_long", f"The password must have at most {MAX_LENGTH} characters"
        )
    lowered = password.casefold()
    address = email.casefold()
    local = address.split("@", 1)[0]
    if address in lowered or (len(local) >= MIN_LOCAL_PART and local in lowered):
        return PasswordProblem(
            "email", "The password must not contain the email address or its part before the @"
        )
    if PRODUCT_NAME in lowered:
        return PasswordProblem("product_name", "The password must not contain the product name")
    if password in common_passwords():
        return PasswordProblem(
            "breached",
            "The password is in a list of the most common passwords found in data breaches",
        )
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
        self._threads = ThreadPoolExecutor(
            max_workers=settings.hash_threads or os.cpu_count() or 1,
            thread_name_prefix="argon2",
        )

    async def hash(self, password: str) -> str:
        return await self._in_pool(self._hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        return await self._in_pool(self._verify, password_hash, password)

    async def verify_dummy(self, password: str) -> None:
        await self._in_pool(self._verify, self._dummy_hash, password)

    def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)

    async def _in_pool(self, function: Callable[..., T], *args: str) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._threads, function, *args)

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

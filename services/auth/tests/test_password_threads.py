"""Password hashes run in a thread pool of their own, as many at once as ``AUTH_HASH_THREADS``."""

from __future__ import annotations

import asyncio
import os
import threading

from argon2 import PasswordHasher

from chiiki_auth.passwords import Passwords

from .conftest import PASSWORD, make_settings


class CountingHasher(PasswordHasher):
    """Verifies as argon2 does, recording which threads ran it and how many did at once. Each
    call waits at a barrier for ``together`` calls, so the peak is reached whenever the pool has
    that many threads (a pool with fewer times out at the barrier instead)."""

    def __init__(self, hasher: PasswordHasher, together: int) -> None:
        super().__init__(
            time_cost=hasher.time_cost,
            memory_cost=hasher.memory_cost,
            parallelism=hasher.parallelism,
            hash_len=hasher.hash_len,
            salt_len=hasher.salt_len,
            type=hasher.type,
        )
        self.barrier = threading.Barrier(together, timeout=30)
        self.lock = threading.Lock()
        self.running = 0
        self.peak = 0
        self.threads: set[str] = set()

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
            self.threads.add(threading.current_thread().name)
        try:
            self.barrier.wait()
            return super().verify(hash, password)
        finally:
            with self.lock:
                self.running -= 1


async def test_at_most_hash_threads_hashes_run_at_once() -> None:
    passwords = Passwords(make_settings(hash_threads=2))
    stored = await passwords.hash(PASSWORD)
    counting = CountingHasher(passwords._hasher, together=2)
    passwords._hasher = counting
    try:
        checks = [passwords.verify(stored, PASSWORD) for _ in range(5)]
        results = await asyncio.gather(*checks, passwords.verify(stored, "wrong-password-1"))
    finally:
        passwords.close()
    assert results == [True] * 5 + [False]
    assert counting.peak == 2
    assert len(counting.threads) == 2
    assert all(name.startswith("argon2") for name in counting.threads)


async def test_the_unknown_email_path_hashes_in_the_same_pool() -> None:
    passwords = Passwords(make_settings(hash_threads=1))
    counting = CountingHasher(passwords._hasher, together=1)
    passwords._hasher = counting
    try:
        await passwords.verify_dummy(PASSWORD)
    finally:
        passwords.close()
    assert counting.peak == 1
    assert [name.startswith("argon2") for name in counting.threads] == [True]


def test_one_hash_thread_per_core_unless_set() -> None:
    passwords = Passwords(make_settings(hash_threads=None))
    try:
        assert passwords._threads._max_workers == (os.cpu_count() or 1)
    finally:
        passwords.close()

"""Stopping a background task (``chiiki_shared.background.stop_task``)."""

import asyncio

from chiiki_shared import background


async def test_a_task_that_swallows_a_cancellation_is_still_stopped(monkeypatch) -> None:
    monkeypatch.setattr(background, "RECANCEL_SECONDS", 0.05)
    swallowed: list[str] = []
    never = asyncio.Event()

    async def keep() -> None:  # as a follower whose library turned one cancellation into an error
        while True:
            try:
                await never.wait()
            except asyncio.CancelledError:
                if swallowed:
                    raise
                swallowed.append("once")

    task = asyncio.create_task(keep())
    await asyncio.sleep(0)
    await asyncio.wait_for(background.stop_task(task), timeout=10)
    assert (swallowed, task.cancelled()) == (["once"], True)


async def test_a_task_that_ended_with_an_error_stops_without_raising() -> None:
    async def fail() -> None:
        raise RuntimeError("last round failed")

    task = asyncio.create_task(fail())
    await asyncio.wait({task})
    await background.stop_task(task)
    assert isinstance(task.exception(), RuntimeError)


async def test_no_task_is_nothing_to_stop() -> None:
    await background.stop_task(None)

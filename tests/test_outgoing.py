"""The outgoing queue: ordered, bounded, and never blocking the microphone."""

from __future__ import annotations

import asyncio

from voicecli import events as ev
from voicecli.outgoing import OutgoingQueue


def audio(n: int) -> ev.SendAudio:
    return ev.SendAudio(bytes([n]) * 640)


async def test_order_is_kept() -> None:
    queue = OutgoingQueue(maxsize=10)
    sent = [ev.SendActivityStart(), audio(1), audio(2), ev.SendActivityEnd(), ev.SendText("hi")]
    for message in sent:
        await queue.put(message)
    assert [await queue.get() for _ in sent] == sent


async def test_offer_drops_the_oldest_audio_but_never_markers_or_text() -> None:
    queue = OutgoingQueue(maxsize=4)
    for message in (ev.SendActivityStart(), audio(1), audio(2), ev.SendText("keep me")):
        queue.offer(message)
    assert queue.offer(audio(3)) is True  # full: audio 1 made room
    assert queue.offer(audio(4)) is True  # then audio 2
    assert queue.dropped_audio == 2
    assert [await queue.get() for _ in range(queue.qsize())] == [
        ev.SendActivityStart(), ev.SendText("keep me"), audio(3), audio(4)]


async def test_put_waits_for_room_and_get_waits_for_a_message() -> None:
    queue = OutgoingQueue(maxsize=1)
    await queue.put(audio(1))
    blocked = asyncio.ensure_future(queue.put(audio(2)))
    await asyncio.sleep(0.01)
    assert not blocked.done()  # no room yet
    assert await queue.get() == audio(1)
    await asyncio.wait_for(blocked, 1)
    waiting = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0.01)
    assert await asyncio.wait_for(waiting, 1) == audio(2)
    getter = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0.01)
    assert not getter.done()  # nothing to take
    queue.offer(audio(5))
    assert await asyncio.wait_for(getter, 1) == audio(5)

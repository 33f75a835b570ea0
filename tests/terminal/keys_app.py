"""A tiny program for the pty tests: reads keys with KeyReader and prints each event as a JSON line.

Typed lines steer it: "quit" ends normally, "boom" raises in the main task, "crash" raises in another
task the main one waits for, "hang" stops reading keys and sleeps (to be ended by a signal).
With --sigterm-cancels, SIGTERM cancels the main task the way ``voicecli talk`` arranges it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
import termios

from voicecli.signals import SigtermCancels
from voicecli.terminal import KeyReader, LineTyped


def say(**fields: object) -> None:
    print(json.dumps(fields), flush=True)


async def crashing() -> None:
    await asyncio.sleep(0)
    raise RuntimeError("task crashed")


async def main(talk_key: str) -> None:
    async with KeyReader(talk_key=talk_key) as keys:
        say(event="ready", interactive=keys.interactive, lflag=termios.tcgetattr(0)[3])
        async for event in keys:
            say(event=type(event).__name__, **dataclasses.asdict(event))
            if isinstance(event, LineTyped):
                if event.text == "quit":
                    break
                if event.text == "boom":
                    raise RuntimeError("boom")
                if event.text == "crash":
                    await asyncio.gather(crashing(), asyncio.sleep(3600))
                if event.text == "hang":
                    say(event="hanging")
                    await asyncio.sleep(3600)
    say(event="done")


async def cancelled_by_sigterm(talk_key: str) -> None:
    """As ``voicecli talk`` runs: SIGTERM cancels the conversation through the event loop."""
    try:
        await SigtermCancels().run(main(talk_key))
    except asyncio.CancelledError:
        say(event="cancelled")


if __name__ == "__main__":
    key = sys.argv[1] if len(sys.argv) > 1 else " "
    asyncio.run(cancelled_by_sigterm(key) if "--sigterm-cancels" in sys.argv else main(key))

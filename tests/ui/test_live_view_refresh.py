"""The Rich view redraws only when what it shows changed, and at most every REFRESH_INTERVAL_S."""

from __future__ import annotations

import asyncio
import io

from rich.console import Console

from voicecli import events as ev
from voicecli.ui.live_view import RichLiveView, StatusLine


def view() -> RichLiveView:
    console = Console(file=io.StringIO(), width=100, force_terminal=True, color_system=None)
    return RichLiveView(StatusLine(backend="emulator", model="m", connection="connected"), console=console)


def test_without_a_loop_each_change_is_drawn_once_and_repeats_not_at_all() -> None:
    shown = view()
    shown.start()
    try:
        for _ in range(3):
            shown.handle(ev.MicLevel(-40.0))
        assert shown.redraws == 1
        shown.handle(ev.UserActivity(False))  # "idle" already: nothing changes on screen
        assert shown.redraws == 1
        shown.handle(ev.Transcript("user", "hello", False))
        assert shown.redraws == 2
    finally:
        shown.stop()


async def test_on_the_loop_a_burst_of_events_is_one_redraw() -> None:
    shown = view()
    shown.start()
    try:
        for level in range(50):
            shown.handle(ev.MicLevel(-60.0 + level))
        assert shown.redraws == 0  # nothing drawn inside the burst: one timer is pending
        while shown.redraws == 0:  # noqa: ASYNC110 - the timer fires on this loop
            await asyncio.sleep(0.01)
        assert shown.redraws == 1
        assert "mic -11.0 dBFS" in shown.status.render(100)
    finally:
        shown.stop()

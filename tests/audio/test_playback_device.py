"""The speaker's stream stops between replies and restarts for the next one, on the virtual device:
nothing of either reply is lost or changed at the stop or the start."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.audio.test_real_devices import FifoReader, best_alignment, play_cleanly, tone, wait_until
from voicecli.audio import Speaker

pytestmark = pytest.mark.audio


async def test_replies_around_an_idle_stop_come_out_bit_exact(virtual_audio: Path) -> None:
    first, second = tone(0.3), tone(0.2, amplitude=6_000)
    async with Speaker(idle_stop_seconds=0.1) as speaker:

        async def attempt() -> None:
            reader = FifoReader(virtual_audio / "speaker.fifo")
            speaker.play(first.tobytes())
            speaker.end_reply()
            await wait_until(lambda: not speaker.running, "the stream to stop after the first reply")
            assert speaker.played_seconds == pytest.approx(0.3)
            assert not speaker.audible
            speaker.play(second.tobytes())  # starts the stream again
            assert speaker.running
            speaker.end_reply()
            await wait_until(lambda: not speaker.running, "the stream to stop after the second reply")
            assert speaker.played_seconds == pytest.approx(0.2)

            def both_read() -> bool:
                played = reader.samples()
                loud = np.flatnonzero(np.abs(played) > 6_500)  # only the first tone is this loud
                return loud.size > 0 and played.size >= int(loud[0]) + first.size + second.size + 2400

            await wait_until(both_read, "both replies in the FIFO")
            played = reader.stop()
            lag, _ = best_alignment(played.astype(np.float64), first.astype(np.float64))
            assert np.array_equal(played[lag : lag + first.size], first)
            assert not played[:lag].any()
            rest = played[lag + first.size :]
            start = int(np.flatnonzero(rest)[0]) - 1  # the tone starts with one zero sample
            assert start >= 0 and not rest[:start].any()  # silence between the replies, no stray samples
            assert np.array_equal(rest[start : start + second.size], second)
            assert not rest[start + second.size : start + second.size + 2400].any()

        await play_cleanly(speaker, attempt)

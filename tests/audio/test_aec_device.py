"""The echo canceller on the virtual devices: the speaker looped back into the microphone by PulseAudio
(scripts/echo-loop.sh: its own sink and source, removed afterwards; the default devices are untouched)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from voicecli.audio import aec

pytestmark = [pytest.mark.audio,
              pytest.mark.skipif(not aec.available(), reason=aec.unavailable_reason() or "")]

AGENT = ("Thanks for calling the front desk. I can help you book a room, check your order, or answer "
         "questions about the hotel. What would you like to do today? We have rooms this weekend.")
USER = "Wait, stop, I need to talk to a person."
USER_AFTER_S = 7.0
ATTEMPTS = 3
"""A run whose microphone overflowed, stalled or lost frames, or whose speaker ran dry, proves nothing about the
canceller (audio was lost, or the speaker's timeline jumped where the reference cannot follow); such
runs are repeated, as in test_real_devices.py. A failed check in a clean run fails the test."""


def test_barge_in_over_the_agent_is_heard_and_the_agent_alone_never_is(virtual_audio: Path) -> None:
    from voicecli.audio.aec_loop import LoopUnavailable, echo_loop, run_loop, score_loop
    from voicecli.speech.tts import synthesize

    agent = np.frombuffer(synthesize(AGENT, rate=24_000), np.int16)
    user = (np.frombuffer(synthesize(USER, rate=48_000, voice="en-us+f3"), np.int16) * 0.5).astype(np.int16)
    for _ in range(ATTEMPTS):
        try:
            with echo_loop("aectest", delay_ms=60, gain_db=-6) as feed:
                run = asyncio.run(run_loop(feed, agent, user, user_after_s=USER_AFTER_S))
        except LoopUnavailable as error:
            pytest.skip(f"echo loop unavailable: {error}")
        # A looped-back source takes a second or two to deliver its first frame; from then on the frames
        # must be continuous (no audio lost), and the agent alone must be heard for a while before the user.
        arrived = np.array(run.arrived)
        continuous = arrived.size > 1 and float(np.diff(arrived).max()) < 0.1
        heard_first = run.user_at is not None and arrived.size > 0 and run.user_at - arrived[0] > 4.0
        clean = run.overflows == 0 and run.underflows == 0 and not run.timed_out
        if clean and continuous and heard_first:
            break
    else:
        pytest.skip(f"the virtual devices lost audio in each of {ATTEMPTS} runs (last: mic overflows "
                    f"{run.overflows}, speaker underflows {run.underflows}, continuous {continuous}, "
                    f"agent alone first {heard_first}); the machine is too busy")
    score = score_loop(run)
    assert score.echo_only_seconds > 1.0  # the echo really came back into the microphone
    assert score.raw_false_starts >= 1  # and without the canceller it starts the detector
    assert score.erle_db > 15, score
    assert score.false_barge_ins == 0, score
    assert score.barge_in_after_s is not None, score

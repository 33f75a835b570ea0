from __future__ import annotations

import numpy as np

from voicecli.audio.echo import EchoGuard
from voicecli.audio.levels import dbfs


def at_level(db: float) -> bytes:
    amplitude = 32768 * 10 ** (db / 20) * np.sqrt(2)
    t = np.arange(320) / 16_000
    return (amplitude * np.sin(2 * np.pi * 300 * t)).astype(np.int16).tobytes()


def test_level_helper_is_what_the_guard_measures() -> None:
    assert abs(dbfs(at_level(-30)) - -30) < 0.1


def test_without_playback_every_frame_passes() -> None:
    guard = EchoGuard()
    frames = [at_level(-60)] * 20
    assert all(guard.admit(f, playback_audible=False, playback_level_dbfs=-100) for f in frames)


def test_echo_is_held_back_while_the_agent_is_audible() -> None:
    guard = EchoGuard()
    admitted = [guard.admit(at_level(-35), playback_audible=True, playback_level_dbfs=-20) for _ in range(50)]
    assert not any(admitted)
    assert guard.held == 50


def test_the_guard_learns_the_echo_loss_and_then_lets_a_clearly_louder_user_through() -> None:
    guard = EchoGuard(margin_db=10)
    for _ in range(300):
        guard.admit(at_level(-45), playback_audible=True, playback_level_dbfs=-20)
    assert 20 < guard.echo_loss_db <= 25.5
    assert not guard.admit(at_level(-40), playback_audible=True, playback_level_dbfs=-20)
    assert guard.admit(at_level(-25), playback_audible=True, playback_level_dbfs=-20)


def test_a_barge_in_keeps_the_gate_open_for_the_hold_time() -> None:
    guard = EchoGuard(margin_db=10, hold_frames=3)
    assert guard.admit(at_level(-5), playback_audible=True, playback_level_dbfs=-20)
    quiet = [guard.admit(at_level(-40), playback_audible=True, playback_level_dbfs=-20) for _ in range(4)]
    assert quiet == [True, True, True, False]


def test_reverberation_after_playback_stops_is_still_held_back() -> None:
    guard = EchoGuard(tail_frames=2)
    guard.admit(at_level(-40), playback_audible=True, playback_level_dbfs=-20)
    after = [guard.admit(at_level(-40), playback_audible=False, playback_level_dbfs=-20) for _ in range(4)]
    assert after == [False, False, True, True]

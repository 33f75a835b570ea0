"""`voicecli logs play` on the virtual device: the recording reaches the speaker, the transcript in step."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from tests.audio.test_real_devices import FifoReader, best_alignment
from tests.store.conftest import STARTED, _record_conversation
from voicecli.cli import main
from voicecli.recording import RATE, ConversationRecording, recording_path
from voicecli.store import SessionLog

pytestmark = pytest.mark.audio
main._register_commands()


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def chirp(seconds: float) -> np.ndarray:
    t = np.arange(round(RATE * seconds)) / RATE
    return (8000 * np.sin(2 * np.pi * (300 + 400 * t) * t)).astype(np.int16)


def test_logs_play_sends_the_recording_to_the_speaker_and_prints_the_transcript(
        virtual_audio: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    log_path = tmp_path / "sessions.sqlite3"
    with SessionLog.open(log_path) as log:
        session_id = _record_conversation(log)
        log.add_event(session_id, "recording", {"file": f"{session_id}.wav", "started_at": STARTED})
    clock = Clock()
    sound = chirp(1.0)
    with ConversationRecording(recording_path(log_path, session_id), clock=clock) as recording:
        recording.agent(sound.tobytes())
        clock.now = 1.2

    reader = FifoReader(virtual_audio / "speaker.fifo")
    monkeypatch.setattr(sys, "argv", ["voicecli", "logs", "play", session_id, "--log-db", str(log_path)])
    with pytest.raises(SystemExit) as exited:
        main.run()
    heard = reader.stop()
    assert exited.value.code in (0, None)

    out = capsys.readouterr().out
    lines = ["Hello, I'm Laura.", "Book me in on Monday.", "tool book_appointment", "reconnect"]
    positions = [out.index(line) for line in lines]
    assert positions == sorted(positions)
    # The virtual speaker's pipe is 24 kHz mono, the recording's rate: compare sample for sample.
    assert heard.size > sound.size
    lag, score = best_alignment(heard.astype(np.float64), sound.astype(np.float64))
    assert score > 0.9, f"the recording did not reach the speaker (correlation {score:.2f} at {lag})"

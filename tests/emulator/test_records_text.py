"""Each client text the emulator received is in its records, so a test can count notes and typed turns."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from google.genai import types

from voicecli.emulator import client_texts, read_records

from .conftest import MODEL, client_for, receive_turn

NOTE = "[The user heard only: 'Hi, I'm Ada'. The rest of that reply was not heard.]"


def _typed(words: str, role: str = "user") -> types.Content:
    return types.Content(role=role, parts=[types.Part(text=words)])


async def test_every_client_text_is_recorded_once_with_what_it_was(make_emulator: Callable[..., Any],
                                                                    tmp_path: Path) -> None:
    config = types.LiveConnectConfig(output_audio_transcription=types.AudioTranscriptionConfig())
    record_file = tmp_path / "frames.jsonl"
    async with make_emulator(recognition=False, record_file=record_file) as emu:
        async with client_for(emu).aio.live.connect(model=MODEL, config=config) as session:
            await session.send_client_content(turns=[_typed("Hello"), _typed("Hi, I'm Ada.", "model")],
                                              turn_complete=False)
            await session.send_client_content(turns=_typed(NOTE), turn_complete=False)
            await session.send_client_content(turns=_typed("I feel stuck at work."))
            await receive_turn(session)
            await session.send_realtime_input(text="Thanks.")
            await receive_turn(session)
        in_memory = emu.client_texts()
        notes = emu.client_texts(notes_only=True)
    expected = [
        {"via": "client_content", "text": "Hello", "turn_complete": False, "note": False, "model_text": "Hi, I'm Ada."},
        {"via": "client_content", "text": NOTE, "turn_complete": False, "note": True},
        {"via": "client_content", "text": "I feel stuck at work.", "turn_complete": True, "note": False},
        {"via": "realtime_input", "text": "Thanks."},
    ]
    assert [{k: v for k, v in text.items() if k not in {"conn", "index"}} for text in in_memory] == expected
    assert [text["index"] for text in in_memory] == [1, 2, 3, 4] and {t["conn"] for t in in_memory} == {1}
    assert [note["text"] for note in notes] == [NOTE]  # sent once, recorded once
    assert client_texts(read_records(record_file)) == in_memory  # the --record file says the same


async def test_audio_frames_carry_no_text_summary(make_emulator: Callable[..., Any]) -> None:
    async with make_emulator(recognition=False) as emu, client_for(emu).aio.live.connect(model=MODEL) as session:
        await session.send_realtime_input(audio=types.Blob(data=b"\0" * 640, mime_type="audio/pcm;rate=16000"))
        await session.send_client_content(turns=_typed("Hello"))
        await receive_turn(session)
    assert [text["text"] for text in emu.client_texts()] == ["Hello"]
    assert any("realtime_input" in (r.get("frame") or {}) for r in emu.record if r["dir"] == "in")

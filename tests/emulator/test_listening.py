"""Recognition inside the emulator, through the real SDK, with a stand-in transcriber (no model, no CPU cost).

The stand-in hears one word per 0.3 s of audio it is given, so its passes grow as the user speaks:
that is what makes partial fragments, and what checks that every turn gets the whole of its audio.
"""

# Emulator and session contexts stay nested: the session needs the emulator's address.
# ruff: noqa: SIM117

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from google.genai import types

from voicecli.emulator.recognition import TurnListener, _rest_after
from voicecli.speech import Pacing, SpeechRecognition
from voicecli.speech.tts import synthesize
from voicecli.speech.whisper import Hypothesis

from .conftest import MODEL, client_for, receive_turn

PCM16K = "audio/pcm;rate=16000"
WORDS = ["set", "the", "thermostat", "to", "a", "warm", "setting", "please", "and", "thank", "you", "very", "much",
         "indeed", "for", "that"]


class CountingTranscriber:
    """One word of WORDS per 0.3 s of audio; remembers how long each pass was."""

    def __init__(self) -> None:
        self.passes: list[float] = []
        self.lock = threading.Lock()

    def transcribe(self, samples: np.ndarray, *, context: str = "") -> Hypothesis:
        seconds = len(samples) / 16_000
        with self.lock:
            self.passes.append(seconds)
        return Hypothesis(" ".join(WORDS[: max(1, int(seconds / 0.3))]))


def stand_in(transcriber: CountingTranscriber, pacing: Pacing | None = None) -> Callable[[], tuple[Any, str]]:
    return lambda: (SpeechRecognition(transcriber=transcriber, pacing=pacing), "speech recognition: a stand-in")


def speech(text: str = "Set the thermostat to twenty one degrees.") -> bytes:
    return synthesize(text, rate=16_000) + bytes(32_000)  # and a second of silence: server VAD ends the turn


async def send_audio(session: Any, audio: bytes, chunk: int = 640) -> None:
    for start in range(0, len(audio), chunk):
        await session.send_realtime_input(audio=types.Blob(data=audio[start:start + chunk], mime_type=PCM16K))


TRANSCRIBED = types.LiveConnectConfig(input_audio_transcription=types.AudioTranscriptionConfig(),
                                      output_audio_transcription=types.AudioTranscriptionConfig())


async def test_fragments_join_into_the_words_the_brain_got_and_come_before_the_reply(
        make_emulator: Callable[..., Any]) -> None:
    transcriber = CountingTranscriber()
    async with make_emulator(recognition_loader=stand_in(transcriber, Pacing(partial_every_s=0.4))) as emu:
        async with client_for(emu).aio.live.connect(model=MODEL, config=TRANSCRIBED) as session:
            await send_audio(session, speech())
            turn = await receive_turn(session)
    fragments = [m.server_content.input_transcription for m in turn.messages
                 if m.server_content and m.server_content.input_transcription]
    heard = "".join(fragment.text or "" for fragment in fragments)
    assert heard.startswith("set the thermostat")
    assert [bool(fragment.finished) for fragment in fragments] == [False] * (len(fragments) - 1) + [True]
    first_reply = next(i for i, m in enumerate(turn.messages) if m.server_content and m.server_content.model_turn)
    assert all(turn.messages.index(m) < first_reply for m in turn.messages
               if m.server_content and m.server_content.input_transcription)
    assert turn.transcript == f"You said {heard}. Tell me more."  # the brain got exactly those words
    # The recogniser heard the whole utterance: from just before its onset to the end of speech.
    assert max(transcriber.passes) >= len(synthesize("Set the thermostat to twenty one degrees.", rate=16_000)) / 32_000


@pytest.mark.parametrize("chunk", [640, 16_000, 64_000])
async def test_every_turn_gets_its_own_audio_whatever_the_chunk_size(make_emulator: Callable[..., Any],
                                                                       chunk: int) -> None:
    transcriber = CountingTranscriber()
    short, long = speech("Hello."), speech("Set the thermostat to twenty one degrees, please, right now.")
    async with make_emulator(recognition_loader=stand_in(transcriber)) as emu:
        async with client_for(emu).aio.live.connect(model=MODEL, config=TRANSCRIBED) as session:
            await send_audio(session, bytes(16_000) + short, chunk)
            first = await receive_turn(session)  # (speech sent before this reply ended would interrupt it)
            await send_audio(session, long, chunk)
            second = await receive_turn(session)
    said = (len(synthesize("Hello.", rate=16_000)) / 32_000,
            len(synthesize("Set the thermostat to twenty one degrees, please, right now.", rate=16_000)) / 32_000)
    heard = [len(turn.input_transcript.split()) * 0.3 for turn in (first, second)]
    # Each transcript covers its own utterance (and not the other one): within a word and the padding.
    assert said[0] - 0.3 <= heard[0] <= said[0] + 1.0
    assert said[1] - 0.3 <= heard[1] <= said[1] + 1.0


async def test_manual_activity_turns_are_recognised_too(make_emulator: Callable[..., Any]) -> None:
    transcriber = CountingTranscriber()
    config = types.LiveConnectConfig(
        realtime_input_config=types.RealtimeInputConfig(
            automatic_activity_detection=types.AutomaticActivityDetection(disabled=True)),
        input_audio_transcription=types.AudioTranscriptionConfig())
    async with make_emulator(recognition_loader=stand_in(transcriber)) as emu:
        async with client_for(emu).aio.live.connect(model=MODEL, config=config) as session:
            await session.send_realtime_input(activity_start=types.ActivityStart())
            await send_audio(session, speech(), 3_200)
            await session.send_realtime_input(activity_end=types.ActivityEnd())
            turn = await receive_turn(session)
    assert turn.input_transcript.startswith("set the thermostat to a warm")


async def test_without_input_transcription_nothing_is_transcribed_but_the_words_still_count(
        make_emulator: Callable[..., Any]) -> None:
    config = types.LiveConnectConfig(output_audio_transcription=types.AudioTranscriptionConfig())
    async with make_emulator(recognition_loader=stand_in(CountingTranscriber())) as emu:
        async with client_for(emu).aio.live.connect(model=MODEL, config=config) as session:
            await send_audio(session, speech())
            turn = await receive_turn(session)
    assert turn.input_transcript == ""
    assert turn.transcript.startswith("You said set the thermostat")


class _Partials:
    """A recogniser whose partials are scripted, for the listener alone."""

    def __init__(self, partials: list[str], final: str) -> None:
        self.partials, self.final, self.closed = list(partials), final, False

    def feed(self, pcm16k: bytes) -> None:
        return None

    def partial(self) -> str:
        return self.partials.pop(0) if self.partials else ""

    def finish(self, timeout: float | None = None) -> str:
        return self.final

    def close(self) -> None:
        self.closed = True


@pytest.mark.parametrize(
    ("partials", "final", "fragments"),
    [
        (["My name", "My name is"], "My name is Ana Lopez.", ["My name", " is", " Ana Lopez."]),
        (["", "Set the"], "Set the thermostat to 21.", ["Set the", " thermostat to 21."]),
        ([], "Hello.", ["Hello."]),
        # A late pass revised a word already sent: the rest follows what was sent.
        (["I need the"], "I need a ledger.", ["I need the", " a ledger."]),
    ],
)
async def test_the_listener_sends_what_grew_then_the_rest(partials: list[str], final: str,
                                                         fragments: list[str]) -> None:
    sent: list[tuple[str, bool]] = []

    async def send(text: str, finished: bool) -> None:
        sent.append((text, finished))

    recognizer = _Partials(partials, final)
    listener = TurnListener(recognizer, send)
    for _ in partials:
        await listener.feed(b"\x00\x00" * 160)
    heard = await listener.heard()
    assert heard.words == final and recognizer.closed
    assert [text for text, _ in sent] == fragments
    assert [finished for _, finished in sent] == [False] * (len(fragments) - 1) + [True]


def test_the_rest_after_what_was_sent() -> None:
    assert _rest_after("My name is", "My name is Ana.") == " Ana."
    assert _rest_after("my name is", "My name's Ana.") == "name's Ana."
    assert _rest_after("", "Hello.") == "Hello."


async def test_without_a_recogniser_the_listener_says_why() -> None:
    heard = await TurnListener(None, None, notice="no recognition here").heard()
    assert (heard.words, heard.notice) == (None, "no recognition here")

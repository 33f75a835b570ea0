"""Speech recognition inside the emulator: one recogniser per user turn, fed while the user speaks.

The recogniser comes from ``voicecli.speech`` (Whisper tiny.en from the optional extra
``voicecli[offline]``). While audio arrives, words two recognition passes agreed on are sent as
``inputTranscription`` fragments; when the turn ends, the rest of the final transcript follows, marked
``finished``, before the reply starts. Fragments carry their own spacing, so joined they give the
transcript. A late pass may revise words already sent; then the rest of the final transcript follows the
words sent, and the brain gets the final transcript.

Without recognition (the extra is missing, or ``EmulatorOptions.recognition`` is off) the emulator still
serves: a turn's ``Heard`` has no words and carries a notice naming the reason, which the generic brain
says once per session. ``Recognition.line`` says the same in the emulator's start-up lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from voicecli.speech import INSTALL_COMMAND, RecognitionError, Recognizer, SpeechRecognition, load_recognition
from voicecli.speech.hints import session_hints
from voicecli.speech.whisper import Hypothesis

log = logging.getLogger(__name__)

FINISH_TIMEOUT_S = 60.0  # a turn's last pass is about a second on one core; this only bounds a stuck worker
NOTICE_MISSING = (f"I can't understand speech here: this emulator has no speech recognition. Install it with "
                  f"{INSTALL_COMMAND}, or type your message.")
NOTICE_OFF = "I can't understand speech here: speech recognition is turned off in this emulator. Please type."
LINE_OFF = "speech recognition off (turned off): audio turns are not understood, text turns are"

SendFragment = Callable[[str, bool], Awaitable[None]]  # (text, finished)


@dataclass(frozen=True)
class Heard:
    """What a user audio turn said: the words (None when not recognised) and, if not, why in the agent's words."""

    words: str | None
    notice: str = ""


class Passes:
    """The installed engine, counting the recognition passes in flight.

    The engine's native threads must not be torn down in the middle of a pass (the process crashes), so
    the emulator lets running passes finish before it stops (``wait_idle``).
    """

    def __init__(self, threads: int) -> None:
        self._threads = threads
        self._idle = threading.Condition()
        self._running = 0

    def transcribe(self, samples: np.ndarray, *, context: str = "") -> Hypothesis:
        from voicecli.speech.whisper import shared_engine

        with self._idle:
            self._running += 1
        try:
            return shared_engine(self._threads).transcribe(samples, context=context)
        finally:
            with self._idle:
                self._running -= 1
                self._idle.notify_all()

    def wait_idle(self, timeout_s: float) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._running == 0, timeout_s)


@dataclass(frozen=True)
class Recognition:
    """Whether this emulator recognises speech: the engine (or None), its start-up line, its notice."""

    engine: SpeechRecognition | None
    line: str
    notice: str = ""
    passes: Passes | None = None  # the installed engine's passes (None for one a loader gave)

    @classmethod
    def load(cls, *, enabled: bool = True,
             loader: Callable[[], tuple[SpeechRecognition | None, str]] | None = None) -> Recognition:
        """The installed recogniser (``loader``: another source), unless ``enabled`` is False. Nothing loads yet."""
        if not enabled:
            return cls(None, LINE_OFF, NOTICE_OFF)
        loaded, line = (loader or load_recognition)()
        if loaded is None:
            return cls(None, f"{line}: audio turns are not understood, text turns are", NOTICE_MISSING)
        if loader is not None:
            return cls(loaded, line)
        passes = Passes(loaded.threads)
        return cls(SpeechRecognition(threads=loaded.threads, transcriber=passes), line, passes=passes)

    def wait_idle(self, timeout_s: float = FINISH_TIMEOUT_S) -> None:
        """Let passes in flight finish (blocking); call once every turn was abandoned or finished."""
        if self.passes is not None:
            self.passes.wait_idle(timeout_s)

    @property
    def available(self) -> bool:
        return self.engine is not None

    def warm_up(self) -> None:
        """Load the model now (blocking; about a second) so the first turn does not wait for it.

        A failure is only logged here: the first turn reports it (its recogniser fails the same way).
        """
        if self.engine is None:
            return
        try:
            self.engine.warm_up()
        except Exception as error:  # reported again, to the client, by the turn that needs the model
            log.warning("speech recognition could not load: %s", error)

    def listener(self, hints: Sequence[str], send: SendFragment | None) -> TurnListener:
        """A listener for one user turn; ``send`` streams inputTranscription fragments (None: not asked for)."""
        recognizer = self.engine.recognizer(hints) if self.engine is not None else None
        return TurnListener(recognizer, send, notice=self.notice)


def hints_for(system_instruction: str, declarations: Sequence[Mapping[str, Any]]) -> list[str]:
    """The session's own words to bias recognition towards (tool names, enum values, names)."""
    # Declarations arrive with snake_case keys; the hints read the Live API's camelCase schema key.
    shaped = [{**d, "parametersJsonSchema": d.get("parameters_json_schema")} for d in declarations]
    return session_hints(system_instruction, shaped)


class TurnListener:
    """One user turn: fed 16 kHz audio while the user speaks, then asked for the words once."""

    def __init__(self, recognizer: Recognizer | None, send: SendFragment | None, *, notice: str = "") -> None:
        self._recognizer = recognizer
        self._send = send
        self._notice = notice
        self._sent = ""  # transcript text already sent as fragments

    async def feed(self, pcm16k: bytes) -> None:
        if self._recognizer is None or not pcm16k:
            return
        self._recognizer.feed(pcm16k)
        if self._send is not None:
            partial = self._recognizer.partial()
            if len(partial) > len(self._sent) and partial.startswith(self._sent):
                await self._send_text(partial[len(self._sent):], finished=False)

    async def heard(self) -> Heard:
        """The final words (the recogniser's last pass runs off the event loop), after the last fragment."""
        if self._recognizer is None:
            return Heard(None, self._notice)
        try:
            words = await _finished(self._recognizer)
        except (RecognitionError, TimeoutError) as error:
            log.warning("speech recognition failed: %s", error)
            return Heard(None, f"I couldn't recognise that: {error}. Please type your message.")
        finally:
            self._recognizer.close()
        if self._send is not None and words:
            rest = _rest_after(self._sent, words)
            if rest:
                await self._send_text(rest, finished=True)
        return Heard(words)

    def close(self) -> None:
        """The turn was abandoned (barge-in, session end): no further passes."""
        if self._recognizer is not None:
            self._recognizer.close()

    async def _send_text(self, text: str, *, finished: bool) -> None:
        assert self._send is not None
        if self._sent and not text.startswith(" "):
            text = " " + text
        self._sent += text
        await self._send(text, finished)


async def _finished(recognizer: Recognizer) -> str:
    """``recognizer.finish()`` on a daemon thread: an abandoned turn must not hold up the process's exit."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[str] = loop.create_future()

    def settle(result: str | None, error: BaseException | None) -> None:
        if done.done():
            return  # the turn was cancelled meanwhile
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(result or "")

    def work() -> None:
        try:
            result, error = recognizer.finish(FINISH_TIMEOUT_S), None
        except Exception as failure:  # handed to the awaiting turn
            result, error = None, failure
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=work, name="emulator-recognition", daemon=True).start()
    return await done


def _comparable(word: str) -> str:
    return re.sub(r"[^\w']", "", word.lower())


def _rest_after(sent: str, final: str) -> str:
    """What of ``final`` is not yet in ``sent``: the words after the longest prefix they share."""
    if final.startswith(sent):
        return final[len(sent):]
    shared = 0
    for old, new in zip(sent.split(), final.split(), strict=False):
        if _comparable(old) != _comparable(new):
            break
        shared += 1
    return " ".join(final.split()[shared:])

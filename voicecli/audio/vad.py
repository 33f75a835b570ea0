"""Local activity detection on 20 ms frames with webrtcvad: start trigger, end hangover, pre-roll.

States: quiet -> speaking when ``start_frames`` of the last ``start_window`` frames are voiced; speaking
-> quiet after ``hangover_ms`` of unvoiced frames. On a start the pre-roll (the trigger window plus
``preroll_ms`` before it) is emitted right after ActivityStart, so the first syllable is never cut.
Tuning (noise makes webrtcvad flag almost everything): docs/audio.md.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import webrtcvad

from voicecli.errors import AudioError
from voicecli.events import FRAME_BYTES, FRAME_RATE, ActivityEnd, ActivityStart

FRAME_MS = 20

VadOutput = ActivityStart | ActivityEnd | bytes


class LocalVad:
    def __init__(
        self,
        aggressiveness: int = 2,
        start_frames: int = 4,
        start_window: int = 6,
        hangover_ms: int = 500,
        preroll_ms: int = 300,
        *,
        classifier: Callable[[bytes], bool] | None = None,
    ) -> None:
        """``classifier`` replaces webrtcvad's per-frame decision (another VAD, or a test double)."""
        if aggressiveness not in range(4):
            raise AudioError(f"VAD aggressiveness must be 0, 1, 2 or 3, not {aggressiveness}")
        if not 1 <= start_frames <= start_window:
            raise AudioError(f"VAD start needs 1 <= start_frames ({start_frames}) <= start_window "
                             f"({start_window})")
        if hangover_ms < FRAME_MS or preroll_ms < 0:
            raise AudioError(f"VAD hangover must be at least {FRAME_MS} ms and pre-roll at least 0 ms")
        vad = webrtcvad.Vad(aggressiveness)
        self._classify = classifier or (lambda frame: bool(vad.is_speech(frame, FRAME_RATE)))
        self.start_frames = start_frames
        self.start_window = start_window
        self.hangover_frames = -(-hangover_ms // FRAME_MS)
        self.preroll_frames = -(-preroll_ms // FRAME_MS)
        self._recent: deque[bool] = deque(maxlen=start_window)
        self._preroll: deque[bytes] = deque(maxlen=start_window + self.preroll_frames)
        self._silent_run = 0
        self.speaking = False

    def is_speech(self, frame: bytes) -> bool:
        if len(frame) != FRAME_BYTES:
            raise AudioError(f"VAD frames must be {FRAME_BYTES} bytes (20 ms at 16 kHz), got {len(frame)}")
        return self._classify(frame)

    def process(self, frame: bytes) -> list[VadOutput]:
        voiced = self.is_speech(frame)
        if self.speaking:
            self._silent_run = 0 if voiced else self._silent_run + 1
            if self._silent_run < self.hangover_frames:
                return [frame]
            self._reset_quiet()
            return [frame, ActivityEnd()]
        self._recent.append(voiced)
        self._preroll.append(frame)
        if sum(self._recent) < self.start_frames:
            return []
        self.speaking, self._silent_run = True, 0
        preroll = list(self._preroll)
        self._preroll.clear()
        return [ActivityStart(), *preroll]

    def flush(self) -> list[VadOutput]:
        """End of input: close an open activity."""
        if not self.speaking:
            return []
        self._reset_quiet()
        return [ActivityEnd()]

    def _reset_quiet(self) -> None:
        self.speaking = False
        self._silent_run = 0
        self._recent.clear()
        self._preroll.clear()

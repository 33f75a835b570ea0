"""Push-to-talk as an activity gate: the microphone's frames go out only inside a turn the keys opened.

``pump_microphone`` asks a gate what to send for each frame (``ActivityGate``). This one answers from the
talk key instead of a voice activity detector: after ``start()`` the next frame goes out behind an
activity start, frames follow until ``end()``, then an activity end; outside a turn nothing is sent
(the service's own detection is off, so it hears only what the user meant it to hear).
"""

from __future__ import annotations

from voicecli import events as ev

GateItem = ev.ActivityStart | ev.ActivityEnd | bytes


class PushToTalkGate:
    def __init__(self) -> None:
        self._open = False
        self._start_due = False
        self._end_due = False

    @property
    def talking(self) -> bool:
        return self._open or self._start_due

    def start(self) -> None:
        """The talk key opened a turn: it starts with the next frame."""
        if not self.talking:
            self._start_due = True
        self._end_due = False

    def end(self) -> None:
        """The turn ends after the frame being captured now."""
        if self._start_due and not self._open:  # opened and closed before a frame came: nothing to say
            self._start_due = False
            return
        if self._open:
            self._end_due = True

    def process(self, frame: bytes) -> list[GateItem]:
        out: list[GateItem] = []
        if self._start_due:
            self._start_due, self._open = False, True
            out.append(ev.ActivityStart())
        if self._open:
            out.append(frame)
        if self._end_due:
            self._end_due, self._open = False, False
            out.append(ev.ActivityEnd())
        return out

    def flush(self) -> list[GateItem]:
        """The microphone stopped: close a turn still open."""
        self._start_due = self._end_due = False
        if self._open:
            self._open = False
            return [ev.ActivityEnd()]
        return []

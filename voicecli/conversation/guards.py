"""The three guards at work in a conversation: silent stall, language drift, what was heard.

The guards themselves are pure logic (``voicecli.guards``); this part feeds them what the conversation
sees, runs the stall watch's timer in the conversation's task group, and carries out what they decide:
a nudge or a steer as a text turn, a resume or a fresh session through the connection, a note of what
the user heard. Each decision is shown (``ev.Stall``, ``ev.LanguageDrift``, ``ev.HeardNote``), written
to the session log (``stall``, ``language_drift``, ``heard_note`` events) and counted in the summary.
docs/guards.md has the rules and the reasons.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from voicecli import events as ev
from voicecli.guards import langid
from voicecli.guards.drift import Drift, DriftDetector, steer_text
from voicecli.guards.heard import Cause, HeardNotes, accepts_notes
from voicecli.guards.settings import GuardSettings
from voicecli.guards.stall import (
    DEFAULT_STEPS,
    NUDGE_TEXT,
    StallAction,
    StallRecovered,
    StallStep,
    StallWatch,
    nudge_for,
    run_stall_watch,
    unanswered_context,
)

if TYPE_CHECKING:
    from voicecli.recorder import Recorder


class ConnectionControl(Protocol):
    """What the stall guard asks of the active connection (``voicecli.live.connection.LiveConnection``)."""

    def request_resume(self, first_message: ev.Outgoing | None = None) -> None: ...
    def request_fresh_session(self, context: str | None, first_message: ev.Outgoing | None = None) -> None: ...


@dataclass
class GuardCounts:
    """The guards' figures for the conversation summary (and so for ``voicecli logs``)."""

    stalls: int = 0
    stall_recoveries: dict[str, int] = field(default_factory=lambda: {step.value: 0 for step in DEFAULT_STEPS})
    stalls_unrecovered: int = 0
    language_drifts: int = 0
    heard_notes: int = 0
    heard_notes_withheld: int = 0

    def summary(self) -> dict[str, Any]:
        return {"stalls": self.stalls, "stall_recoveries": dict(self.stall_recoveries),
                "stalls_unrecovered": self.stalls_unrecovered, "language_drifts": self.language_drifts,
                "heard_notes": self.heard_notes, "heard_notes_withheld": self.heard_notes_withheld}


@dataclass
class _CutReply:
    key: int  # the agent turn that was cut (stable across reconnects)
    heard: str
    cause: Cause


class ConversationGuards:
    """Feeds the guards and acts on them; ``send`` queues a message without blocking."""

    def __init__(  # noqa: PLR0913 - the collaborators, each a keyword
        self,
        settings: GuardSettings,
        *,
        language: str | None,
        send: Callable[[ev.Outgoing], None],
        notify: Callable[[object], None],
        recorder: Callable[[], Recorder],
        summary: Callable[[], str | None],
        unanswered: Callable[[], str | None],
        clock: Callable[[], float],
    ) -> None:
        self.settings = settings
        self.counts = GuardCounts()
        self.stall = StallWatch(settings.stall())
        self.control: ConnectionControl | None = None
        self._send = send
        self._notify = notify
        self._recorder = recorder
        self._summary = summary
        self._unanswered = unanswered
        self._clock = clock
        self._drift = _detector(settings, language)
        self._notes = HeardNotes(enabled=False)  # on once the model is known to take notes (``attach``)
        self._cut: _CutReply | None = None  # an interrupted reply whose turn has not closed yet
        self._judging = 0  # drift judgements running in a worker thread
        self._steered = False  # a steer went out; its answer has not completed a turn yet
        self._tasks: list[asyncio.Task[Any]] = []
        self._group: asyncio.TaskGroup | None = None

    # --- lifecycle --------------------------------------------------------------------------

    def start(self, group: asyncio.TaskGroup) -> None:
        """Tick the stall watch in ``group``; load the language identifier in a thread meanwhile."""
        self._group = group
        self._tasks.append(group.create_task(run_stall_watch(self.stall, self._act, clock=self._clock),
                                             name="stall watch"))
        if self._drift is not None and not langid.loaded():
            # A daemon thread, not the loop's executor: a short run never waits for it at exit.
            threading.Thread(target=langid.warm_up, name="langid warm-up", daemon=True).start()

    def stop(self) -> None:
        for task in self._tasks:
            task.cancel()

    def attach(self, control: ConnectionControl, model: str) -> None:
        """A connection for ``model`` is the active one: recovery goes through it; notes if it takes them."""
        self.control = control
        self._notes.enabled = self.settings.heard_note and accepts_notes(model) is True

    def switch_agent(self, language: str | None) -> None:
        """Another agent speaks from now on, perhaps in another language."""
        self._drift = _detector(self.settings, language)

    @property
    def busy(self) -> bool:
        """A guard owes the conversation a turn: a drift judgement running, or a steer's answer."""
        return self._judging > 0 or self._steered

    # --- inputs -----------------------------------------------------------------------------

    def on_server_event(self, event: object) -> None:
        recovered = self.stall.observe_server(event, self._clock())
        if recovered is not None:
            self._recovered(recovered)
        if isinstance(event, ev.Transcript) and event.role == "agent" and self._drift is not None:
            self._drift.feed(event.text)

    def on_sent(self, message: ev.Outgoing) -> None:
        self.stall.observe_outgoing(message, self._clock())

    def on_connection(self, event: object) -> None:
        self.stall.observe_connection(event, self._clock())

    def user_speaking(self, speaking: bool) -> None:
        """The client's own view of the user (the microphone level, a scripted utterance)."""
        if speaking:
            self.stall.user_speaking(self._clock())
        else:
            self.stall.user_turn_ended(self._clock(), explicit=False)

    def tools_busy(self, busy: bool) -> None:
        self.stall.tools_busy(busy, self._clock())

    def reply_cut(self, key: int, heard: str, cause: Cause) -> None:
        """The agent's reply ``key`` was cut; the user heard ``heard`` of it. The note goes when its turn closes."""
        if self._cut is None or self._cut.key != key:
            self._cut = _CutReply(key, heard, cause)

    def reply_repeats(self) -> None:
        """The cut reply starts over on a resumed session: nothing to tell about it."""
        self._cut = None
        if self._drift is not None:
            self._drift.discard()

    def turn_ended(self) -> None:
        """The agent's turn is over: a note for a cut reply, or a drift judgement for a whole one.

        The answer to a steer is judged and counted but never steered again: an agent that keeps to
        the wrong language is shown, not argued with turn after turn."""
        may_steer, self._steered = not self._steered, False
        cut, self._cut = self._cut, None
        detector = self._drift
        if cut is not None:
            if detector is not None:
                detector.discard()  # a cut turn is not a whole turn: not judged
            self._send_note(cut)
            return
        if detector is None:
            return
        text = detector.take()
        if not text:
            return
        if langid.loaded() or self._group is None:
            self._steer(detector.judge(text), may_steer=may_steer)
            return
        self._judging += 1
        self._tasks.append(self._group.create_task(self._judge_in_thread(detector, text, may_steer=may_steer)))

    # --- what the guards do -------------------------------------------------------------------

    def _send_note(self, cut: _CutReply) -> None:
        note = self._notes.note_for(cut.key, cut.heard, cut.cause)
        self.counts.heard_notes, self.counts.heard_notes_withheld = self._notes.sent, self._notes.withheld
        if note is None:
            return
        self._send(ev.SendText(note.text, turn_complete=False, resend=False))
        self._notify(ev.HeardNote(note.text))
        self._recorder().event("heard_note", {"text": note.text, "turn": cut.key, "cause": cut.cause})

    async def _judge_in_thread(self, detector: DriftDetector, text: str, *, may_steer: bool) -> None:
        try:
            drift = await asyncio.to_thread(detector.judge, text)  # waits for the identifier to load
        finally:
            self._judging -= 1
        self._steer(drift, may_steer=may_steer)

    def _steer(self, drift: Drift | None, *, may_steer: bool = True) -> None:
        if drift is None:
            return
        self.counts.language_drifts += 1
        self._notify(ev.LanguageDrift(drift.expected, drift.detected))
        self._recorder().event("language_drift", {"expected": drift.expected, "detected": drift.detected,
                                                  "confidence": round(drift.confidence, 3), "text": drift.text,
                                                  "steered": may_steer})
        if may_steer:
            self._steered = True
            self._send(ev.SendText(steer_text(drift.expected)))

    def _act(self, action: StallAction) -> None:
        """The stall watch chose a step: show it, log it, take it."""
        self.counts.stalls = self.stall.counts.stalls
        self._notify(ev.Stall(action.step.value, False))
        self._recorder().event("stall", {"stall": action.stall, "kind": action.kind.value,
                                         "stage": action.step.value, "waited_s": round(action.waited_s, 2)})
        nudge = ev.SendText(NUDGE_TEXT, resend=False)
        control = self.control
        match action.step:
            case StallStep.NUDGE:
                self._send(nudge)
            case StallStep.RESUME if control is not None:
                control.request_resume(nudge)
            case StallStep.FRESH_SESSION if control is not None:
                unanswered = self._unanswered()
                first = ev.SendText(nudge_for(action.step, unanswered_known=bool(unanswered)), resend=False)
                control.request_fresh_session(unanswered_context(self._summary(), unanswered), first)
            case StallStep.GIVE_UP:
                self.counts.stalls_unrecovered = self.stall.counts.unrecovered
                self._notify(ev.Notice("the agent is not answering; say something to try again", "warning"))
            case _:
                self._send(nudge)  # no connection to act on (a test's conversation): the nudge alone

    def _recovered(self, recovered: StallRecovered) -> None:
        step = recovered.step.value
        self.counts.stall_recoveries[step] = self.counts.stall_recoveries.get(step, 0) + 1
        self._notify(ev.Stall(step, True))
        self._recorder().event("stall", {"stall": recovered.stall, "kind": recovered.kind.value, "stage": step,
                                         "recovered": True, "after_s": round(recovered.after_s, 2)})


def _detector(settings: GuardSettings, language: str | None) -> DriftDetector | None:
    """A drift detector for an agent that names its language (no language: nothing to drift from)."""
    if not settings.drift or not language or langid.normalise(language) is None:
        return None
    return DriftDetector(language)

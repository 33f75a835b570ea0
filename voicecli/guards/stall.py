"""Silent stall: the user's turn (or a tool's answer) went in, and nothing came back.

Field reports (python-genai #2117, gemini-live-api-examples #52, python-genai #2333, ADK #3918) show Live
sessions that stop answering with no error and the socket open: after a barge-in, after a tool response,
or after a ``turnComplete`` with nothing in it. ``StallWatch`` is a pure state machine: the conversation
feeds it what happens (with the time), and ``tick(now)`` says when to act. Recovery goes in steps, each
given its own wait for a reply: a text nudge, a resume from the latest handle, a fresh session seeded
with a summary; then it gives up until the next user turn. ``run_stall_watch`` ticks it on a timer.

What arms the watch: a user turn that ended (a text turn sent, ``activityEnd`` sent, the end of a scripted
utterance; with the service's own speech detection, the end of speech the client heard *and* an input
transcription showing the service heard words too), or a tool response that asks for a reply (scheduling
other than SILENT). What disarms it: the model starting to answer (audio, its transcript, a tool call).
Nothing is judged while a reply is under way, a tool runs, the user speaks or the connection is down.
Any server message restarts the wait; an empty ``turnComplete`` does not answer the turn.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import Enum

from voicecli import events as ev

# Why 8 s: a healthy Live model starts answering 0.3-1 s after the end of the user's turn (field
# measurements, docs/guards.md), 0.75-2.5 s end to end over telephony; the service's own end-of-speech
# detection adds its silence window (0.5-1 s) to the client's estimate; thinking and long tool results
# add a few seconds more. 8 s is over three times the slowest healthy figure, and still well under the
# 20-30 s after which callers give up and hang up.
STALL_AFTER_S = 8.0
# After a nudge the model answers a text turn as fast as a spoken one: the same first-response time.
NUDGE_WAIT_S = 6.0
# After a resume or a fresh session the wait counts from the moment the connection is back
# (the watch is paused while reconnecting), then the nudge sent after setup must be answered.
RESUME_WAIT_S = 8.0
FRESH_WAIT_S = 10.0

# The text turn sent at each step (after the replay, on the new connection, for the last two): neutral,
# it only asks the model to answer what the user last said; bracketed like the drift guard's steer.
NUDGE_TEXT = "[Your reply did not come through. Answer the user's last message now, without mentioning this note.]"
# A fresh session whose summary lacks the user's unanswered words (speech nobody transcribed).
LOST_TURN_TEXT = ("[The conversation was restarted and the user's last message was lost. Say briefly that you "
                  "missed it and ask them to say it again.]")
# The unanswered user line added to a fresh session's summary is kept to this many characters.
MAX_UNANSWERED_CHARS = 500


class StallKind(Enum):
    AFTER_USER_TURN = "after_user_turn"
    AFTER_BARGE_IN = "after_barge_in"  # the turn followed an interruption of the agent's reply
    AFTER_TOOL_RESPONSE = "after_tool_response"
    EMPTY_TURN = "empty_turn"  # the service closed the turn with nothing in it


class StallStep(Enum):
    NUDGE = "nudge"  # send NUDGE_TEXT as a user text turn
    RESUME = "resume"  # reconnect with the latest resumption handle, then the nudge
    FRESH_SESSION = "fresh_session"  # a new session seeded with the summary, then the nudge
    GIVE_UP = "gave_up"  # nothing worked: say so; the watch re-arms at the next user turn


DEFAULT_STEPS = (StallStep.NUDGE, StallStep.RESUME, StallStep.FRESH_SESSION)


@dataclass(frozen=True)
class StallSettings:
    """``after_s`` 0 turns the guard off; ``steps`` may leave out what the session cannot do
    (no resume without resumption handles)."""

    after_s: float = STALL_AFTER_S
    nudge_wait_s: float = NUDGE_WAIT_S
    resume_wait_s: float = RESUME_WAIT_S
    fresh_wait_s: float = FRESH_WAIT_S
    steps: tuple[StallStep, ...] = DEFAULT_STEPS

    def __post_init__(self) -> None:
        if min(self.after_s, self.nudge_wait_s, self.resume_wait_s, self.fresh_wait_s) < 0:
            raise ValueError("stall waits cannot be negative")
        if StallStep.GIVE_UP in self.steps or len(set(self.steps)) != len(self.steps):
            raise ValueError("stall steps: each of nudge, resume, fresh_session at most once")

    @property
    def enabled(self) -> bool:
        return self.after_s > 0

    def wait_after(self, step: StallStep) -> float:
        """How long a step is given for the model to answer before the next one."""
        return {StallStep.NUDGE: self.nudge_wait_s, StallStep.RESUME: self.resume_wait_s,
                StallStep.FRESH_SESSION: self.fresh_wait_s}.get(step, 0.0)


@dataclass(frozen=True)
class StallAction:
    """What to do now. ``stall`` numbers the stalls of the conversation from 1; ``waited_s`` is how
    long the watch saw no server activity before choosing this step."""

    step: StallStep
    kind: StallKind
    stall: int
    waited_s: float


@dataclass(frozen=True)
class StallRecovered:
    """The model answered during recovery: ``step`` is the last one taken before it did."""

    step: StallStep
    kind: StallKind
    stall: int
    after_s: float  # from the stall's detection to the answer


@dataclass
class StallCounts:
    stalls: int = 0
    recovered: dict[StallStep, int] = field(default_factory=dict)
    unrecovered: int = 0

    def summary(self) -> dict[str, object]:
        """For the conversation summary and the session log."""
        return {"stalls": self.stalls,
                "recovered": {step.value: self.recovered.get(step, 0) for step in DEFAULT_STEPS},
                "unrecovered": self.unrecovered}


class StallWatch:
    """Detects silent stalls and chooses recovery steps; no I/O, no clock of its own."""

    def __init__(self, settings: StallSettings | None = None) -> None:
        self.settings = settings or StallSettings()
        self.counts = StallCounts()
        self._armed: StallKind | None = None  # waiting for an answer to this kind of input
        self._since = 0.0  # the wait counts from here: arming, the last server message, the last pause
        self._step: StallStep | None = None  # the recovery step taken last (None: no stall yet)
        self._stall_at = 0.0
        self._tentative = False  # speech ended, the service has not shown it heard words
        self._heard_user = False  # an input transcription arrived since the user began speaking
        self._cut_pending = False  # an interrupted reply whose turnComplete has not come yet
        self._barge_in = False  # the agent was interrupted since it last started a reply
        # What pauses judging (and restarts the wait when it ends):
        self._replying = False
        self._user_speaking = False
        self._tools_busy = False
        self._reconnecting = False

    # --- state ---------------------------------------------------------------------------------

    @property
    def armed(self) -> StallKind | None:
        """What the watch is waiting for an answer to, if anything."""
        return self._armed

    @property
    def step(self) -> StallStep | None:
        """The recovery step under way (None: no stall detected)."""
        return self._step

    @property
    def paused(self) -> bool:
        return self._replying or self._user_speaking or self._tools_busy or self._reconnecting

    # --- what the user and the client do -------------------------------------------------------

    def user_speaking(self, now: float) -> None:
        """The user started speaking: nothing is judged until their turn ends."""
        if not self._user_speaking:
            self._user_speaking = True
            self._heard_user = False  # transcripts from now on belong to this utterance
            self._tentative = False

    def user_turn_ended(self, now: float, *, explicit: bool = True) -> None:
        """The user's turn ended. ``explicit``: the client ended it (text turn, ``activityEnd``, end of
        a scripted utterance). Otherwise it is the client's guess under the service's own speech
        detection, which arms only once an input transcription shows the service heard words."""
        self._user_speaking = False
        if explicit or self._heard_user:
            self._arm(self._user_turn_kind(), now)
        else:
            self._tentative = True
            self._since = max(self._since, now)

    def user_heard(self, now: float) -> None:
        """An input transcription arrived: the service heard the user's words."""
        self.server_activity(now)
        self._heard_user = True
        if self._tentative and not self._user_speaking:
            self._tentative = False
            self._arm(self._user_turn_kind(), now)

    def tool_response_sent(self, now: float, *, expects_reply: bool = True) -> None:
        """A tool response went out. A blocking call's turn is still open, but the model is not
        generating until it reads the response: from here an answer is due again."""
        if not expects_reply:
            return
        self._replying = False
        self._arm(StallKind.AFTER_TOOL_RESPONSE, now)

    def tools_busy(self, busy: bool, now: float) -> None:
        """Whether a tool call is running (the supervisor's ``busy``)."""
        self._set_pause("_tools_busy", busy, now)

    def reconnecting(self, down: bool, now: float) -> None:
        """The connection is down or being re-established (also while a handoff switches sessions)."""
        self._set_pause("_reconnecting", down, now)

    # --- what the service does -----------------------------------------------------------------

    def server_activity(self, now: float) -> None:
        """Any server message: the wait starts again."""
        self._since = max(self._since, now)

    def reply_started(self, now: float) -> StallRecovered | None:
        """The model started answering (audio, its transcript, a tool call)."""
        self.server_activity(now)
        if self._replying:
            return None  # the reply under way goes on: it answers nothing new
        self._replying = True
        self._barge_in = False
        if self._armed is None:
            return None
        recovered = self._recovered(now)
        self._disarm()
        return recovered

    def interrupted(self, now: float) -> None:
        """The service stopped the agent's reply because the user spoke."""
        self.server_activity(now)
        self._replying = False
        self._cut_pending = True  # the turnComplete that follows closes the cut reply
        self._barge_in = True

    def turn_complete(self, now: float) -> None:
        """The service closed a turn. One with no answer in it leaves the watch armed."""
        self.server_activity(now)
        closes_reply = self._replying or self._cut_pending
        self._replying = self._cut_pending = False
        if not closes_reply and self._armed is not None:
            self._armed = StallKind.EMPTY_TURN  # closed with nothing in it: still no answer

    # --- one entry point per stream of events ------------------------------------------------

    def observe_server(self, event: object, now: float) -> StallRecovered | None:
        """A translated server event (``voicecli.live.translate``)."""
        match event:
            case ev.AgentAudio() | ev.ToolCallsRequested() | ev.Transcript(role="agent"):
                return self.reply_started(now)
            case ev.Transcript(role="user"):
                self.user_heard(now)
            case ev.ServerInterrupted():
                self.interrupted(now)
            case ev.ServerTurnComplete():
                self.turn_complete(now)
            case ev.ReplyCut(will_repeat=True):
                # The resumed session hears the user's turn again: an answer is due once more.
                self.server_activity(now)
                self._replying = self._cut_pending = False
                self._arm(StallKind.AFTER_USER_TURN, now)
            case ev.ReplyCut(will_repeat=False):
                self.turn_complete(now)
            case _:
                self.server_activity(now)
        return None

    def observe_outgoing(self, message: object, now: float) -> None:
        """A message the conversation queues for the service (audio frames are ignored cheaply)."""
        match message:
            case ev.SendAudio():
                return
            case ev.SendActivityStart():
                self.user_speaking(now)
            case ev.SendActivityEnd() | ev.SendAudioStreamEnd():
                self.user_turn_ended(now)
            case ev.SendText() if getattr(message, "turn_complete", True):
                self.user_turn_ended(now)  # a text turn (not a note, which asks for no answer)
            case ev.SendToolResponses(replies):
                self.tool_response_sent(now, expects_reply=any(r.scheduling != "SILENT" for r in replies))

    def observe_connection(self, event: object, now: float) -> None:
        """A connection state change (``ev.ConnectionState``)."""
        if isinstance(event, ev.ConnectionState):
            self.reconnecting(event.state != "connected", now)

    # --- the clock ------------------------------------------------------------------------------

    def tick(self, now: float) -> StallAction | None:
        """The step to take now, or None. Call it every fraction of a second."""
        if not self.settings.enabled or self._armed is None or self.paused:
            return None
        waited = now - self._since
        if self._step is None:
            if waited < self.settings.after_s:
                return None
            self.counts.stalls += 1
            self._stall_at = now
            return self._take(self._first_step(), now, waited)
        if waited < self.settings.wait_after(self._step):
            return None
        return self._take(self._next_step(self._step), now, waited)

    # --- internals -----------------------------------------------------------------------------

    def _arm(self, kind: StallKind, now: float) -> None:
        self._tentative = False
        self._heard_user = False
        if self._step is None:  # during recovery (the nudge is a text turn too) the stall keeps its kind
            self._armed = kind
        self._since = max(self._since, now)

    def _user_turn_kind(self) -> StallKind:
        # Spoken over the agent (its reply still under way, or cut since it last began one).
        return StallKind.AFTER_BARGE_IN if self._barge_in or self._replying else StallKind.AFTER_USER_TURN

    def _disarm(self) -> None:
        self._armed = None
        self._step = None
        self._tentative = False

    def _set_pause(self, name: str, value: bool, now: float) -> None:
        if getattr(self, name) and not value:
            self._since = max(self._since, now)  # the wait starts again when the pause ends
        setattr(self, name, value)

    def _first_step(self) -> StallStep:
        return self.settings.steps[0] if self.settings.steps else StallStep.GIVE_UP

    def _next_step(self, step: StallStep) -> StallStep:
        steps = self.settings.steps
        index = steps.index(step) + 1
        return steps[index] if index < len(steps) else StallStep.GIVE_UP

    def _take(self, step: StallStep, now: float, waited: float) -> StallAction:
        assert self._armed is not None
        action = StallAction(step, self._armed, self.counts.stalls, waited)
        if step is StallStep.GIVE_UP:
            self.counts.unrecovered += 1
            self._disarm()
        else:
            self._step = step
            self._since = now
        return action

    def _recovered(self, now: float) -> StallRecovered | None:
        if self._step is None or self._armed is None:
            return None
        self.counts.recovered[self._step] = self.counts.recovered.get(self._step, 0) + 1
        return StallRecovered(self._step, self._armed, self.counts.stalls, now - self._stall_at)


def unanswered_context(summary: str | None, unanswered_user_text: str | None) -> str | None:
    """A fresh session's context: the conversation's summary, then the user's words nobody answered
    (kept to ``MAX_UNANSWERED_CHARS``, the end of them when longer)."""
    text = " ".join((unanswered_user_text or "").split())
    if len(text) > MAX_UNANSWERED_CHARS:
        text = "…" + text[-(MAX_UNANSWERED_CHARS - 1):]
    line = f'The user\'s last message, not answered yet: "{text}"' if text else None
    parts = [part for part in (summary, line) if part]
    return "\n".join(parts) if parts else None


def nudge_for(step: StallStep, *, unanswered_known: bool = True) -> str:
    """The text turn that goes with a step: the nudge, or (a fresh session that does not have the
    user's last words) the request to say it again."""
    if step is StallStep.FRESH_SESSION and not unanswered_known:
        return LOST_TURN_TEXT
    return NUDGE_TEXT


async def run_stall_watch(
    watch: StallWatch,
    act: Callable[[StallAction], Awaitable[None] | None],
    *,
    clock: Callable[[], float] = time.monotonic,
    period_s: float = 0.25,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> None:
    """Tick ``watch`` every ``period_s`` and hand each action to ``act``; runs until cancelled."""
    if not watch.settings.enabled:
        await asyncio.Event().wait()  # nothing to watch: park until cancelled
    while True:
        await sleep(period_s)
        action = watch.tick(clock())
        if action is not None:
            result = act(action)
            if inspect.isawaitable(result):
                await result

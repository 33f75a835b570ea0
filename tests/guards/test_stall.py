"""StallWatch on a fake clock: every stall kind, recovery at each step, no false stalls, the counts."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from voicecli import events as ev
from voicecli.guards.stall import (
    LOST_TURN_TEXT,
    MAX_UNANSWERED_CHARS,
    NUDGE_TEXT,
    StallAction,
    StallKind,
    StallRecovered,
    StallSettings,
    StallStep,
    StallWatch,
    nudge_for,
    run_stall_watch,
    unanswered_context,
)

SETTINGS = StallSettings(after_s=8.0, nudge_wait_s=6.0, resume_wait_s=8.0, fresh_wait_s=10.0)
AUDIO = ev.AgentAudio(b"\x00" * 960)


@dataclass(frozen=True)
class Note(ev.SendText):
    """A text the model should read but not answer (client content, turn not complete)."""

    turn_complete: bool = False


def first_action(watch: StallWatch, start: float, until: float, step: float = 0.25) -> tuple[float, StallAction]:
    """Tick from ``start`` to ``until``; the first action and when it came."""
    now = start
    while now <= until:
        action = watch.tick(now)
        if action is not None:
            return now, action
        now += step
    raise AssertionError(f"no action between {start} and {until}")


def quiet(watch: StallWatch, start: float, until: float, step: float = 0.25) -> None:
    """No action at any tick in [start, until]."""
    now = start
    while now <= until:
        assert watch.tick(now) is None, f"unexpected action at {now}"
        now += step


def spoken_turn(watch: StallWatch, at: float) -> None:
    watch.observe_outgoing(ev.SendActivityStart(), at - 1.0)
    watch.observe_outgoing(ev.SendAudio(b"\x00" * 640), at - 0.5)
    watch.observe_outgoing(ev.SendActivityEnd(), at)


def answered_turn(watch: StallWatch, at: float) -> None:
    """A user turn at ``at`` that the model answers at once."""
    spoken_turn(watch, at)
    assert watch.observe_server(AUDIO, at + 0.5) is None
    watch.observe_server(ev.ServerTurnComplete(), at + 3.0)


# --- each kind of stall -----------------------------------------------------------------------


def test_a_user_turn_with_no_answer_is_a_stall_after_the_set_time() -> None:
    watch = StallWatch(SETTINGS)
    spoken_turn(watch, 10.0)
    quiet(watch, 10.0, 17.75)
    at, action = first_action(watch, 17.75, 30.0)
    assert at == 18.0
    assert action == StallAction(StallStep.NUDGE, StallKind.AFTER_USER_TURN, stall=1, waited_s=8.0)
    assert watch.counts.stalls == 1


def test_a_text_turn_arms_the_watch_too() -> None:
    watch = StallWatch(SETTINGS)
    watch.observe_outgoing(ev.SendText("what time is it?"), 0.0)
    assert first_action(watch, 0.0, 20.0) == (8.0, StallAction(StallStep.NUDGE, StallKind.AFTER_USER_TURN, 1, 8.0))


def test_silence_after_a_barge_in_is_its_own_kind() -> None:
    watch = StallWatch(SETTINGS)
    watch.observe_outgoing(ev.SendText("tell me about the plans"), 0.0)
    watch.observe_server(AUDIO, 1.0)  # the agent answers...
    watch.observe_outgoing(ev.SendActivityStart(), 3.0)  # ...and the user talks over it
    watch.observe_server(ev.ServerInterrupted(), 3.2)
    watch.observe_server(ev.ServerTurnComplete(), 3.35)
    watch.observe_outgoing(ev.SendActivityEnd(), 5.0)
    quiet(watch, 5.0, 12.75)
    at, action = first_action(watch, 12.75, 30.0)
    assert (at, action.step, action.kind) == (13.0, StallStep.NUDGE, StallKind.AFTER_BARGE_IN)


def test_a_barge_in_turn_that_ends_before_the_interruption_arrives_is_still_watched() -> None:
    # A short interjection: the client ends the user's turn while the service still streams the old reply.
    watch = StallWatch(SETTINGS)
    watch.observe_outgoing(ev.SendText("hi"), 0.0)
    watch.observe_server(AUDIO, 0.5)
    watch.observe_outgoing(ev.SendActivityStart(), 2.0)
    watch.observe_outgoing(ev.SendActivityEnd(), 2.5)
    watch.observe_server(AUDIO, 2.6)  # the old reply, not an answer to the new turn
    quiet(watch, 2.5, 20.0)  # a reply is under way: nothing is judged
    watch.observe_server(ev.ServerInterrupted(), 20.1)
    watch.observe_server(ev.ServerTurnComplete(), 20.2)  # closes the cut reply, answers nothing
    at, action = first_action(watch, 20.0, 40.0)
    assert (at, action.kind) == (28.25, StallKind.AFTER_BARGE_IN)


def test_silence_after_a_tool_response_is_a_stall() -> None:
    watch = StallWatch(SETTINGS)
    spoken_turn(watch, 0.0)
    call = ev.ToolCallEvent("c1", "lookup_order", {"id": "42"})
    assert watch.observe_server(ev.ToolCallsRequested((call,)), 1.0) is None  # the model answered with a call
    watch.tools_busy(True, 1.0)
    watch.tools_busy(False, 4.0)
    watch.observe_outgoing(ev.SendToolResponses((ev.ToolReply("c1", "lookup_order", {"output": "shipped"}),)), 4.0)
    quiet(watch, 4.0, 11.75)
    at, action = first_action(watch, 11.75, 30.0)
    assert (at, action.kind) == (12.0, StallKind.AFTER_TOOL_RESPONSE)


def test_a_turn_complete_with_nothing_in_it_does_not_answer_the_turn() -> None:
    watch = StallWatch(SETTINGS)
    spoken_turn(watch, 0.0)
    watch.observe_server(ev.ServerTurnComplete(), 2.0)  # empty: no audio, no transcript, no call
    assert watch.armed is StallKind.EMPTY_TURN
    quiet(watch, 2.0, 9.75)  # the wait starts again at the empty turnComplete
    at, action = first_action(watch, 9.75, 30.0)
    assert (at, action.kind) == (10.0, StallKind.EMPTY_TURN)


def test_any_server_message_restarts_the_wait() -> None:
    watch = StallWatch(SETTINGS)
    spoken_turn(watch, 0.0)
    watch.observe_server(ev.ResumptionUpdate("h2", True, None), 5.0)
    watch.observe_server(ev.Transcript("user", "where is my order"), 6.0)
    quiet(watch, 0.0, 13.75)
    assert first_action(watch, 13.75, 30.0)[0] == 14.0


# --- recovery, step by step ---------------------------------------------------------------------


def stalled(watch: StallWatch) -> None:
    """A user turn at 0, detected at 8 (the nudge)."""
    spoken_turn(watch, 0.0)
    assert first_action(watch, 0.0, 20.0) == (8.0, StallAction(StallStep.NUDGE, StallKind.AFTER_USER_TURN, 1, 8.0))
    watch.observe_outgoing(ev.SendText(NUDGE_TEXT), 8.0)  # the conversation sends the nudge


def test_recovered_by_the_nudge() -> None:
    watch = StallWatch(SETTINGS)
    stalled(watch)
    recovered = watch.observe_server(AUDIO, 9.5)
    assert recovered == StallRecovered(StallStep.NUDGE, StallKind.AFTER_USER_TURN, stall=1, after_s=1.5)
    assert watch.armed is None and watch.step is None
    watch.observe_server(ev.ServerTurnComplete(), 12.0)
    quiet(watch, 12.0, 60.0)
    assert watch.counts.summary() == {"stalls": 1, "recovered": {"nudge": 1, "resume": 0, "fresh_session": 0},
                                      "unrecovered": 0}


def test_recovered_by_the_resume() -> None:
    watch = StallWatch(SETTINGS)
    stalled(watch)
    quiet(watch, 8.0, 13.75)
    at, action = first_action(watch, 13.75, 30.0)
    assert (at, action.step, action.stall) == (14.0, StallStep.RESUME, 1)
    watch.observe_connection(ev.ConnectionState("resuming"), 14.1)
    quiet(watch, 14.1, 60.0)  # however long the reconnect takes, it is not judged
    watch.observe_connection(ev.ConnectionState("connected", "resumed"), 60.0)
    watch.observe_outgoing(ev.SendText(NUDGE_TEXT), 60.0)  # sent after setup on the new connection
    quiet(watch, 60.0, 67.75)
    recovered = watch.observe_server(ev.Transcript("agent", "Sorry, yes:"), 66.0)
    assert recovered is not None and recovered.step is StallStep.RESUME
    assert recovered.kind is StallKind.AFTER_USER_TURN  # the nudge, a text turn, did not change the kind
    assert watch.counts.recovered == {StallStep.RESUME: 1}


def test_recovered_by_a_fresh_session() -> None:
    watch = StallWatch(SETTINGS)
    stalled(watch)
    assert first_action(watch, 8.0, 30.0)[1].step is StallStep.RESUME  # at 14
    watch.observe_connection(ev.ConnectionState("resuming"), 14.0)
    watch.observe_connection(ev.ConnectionState("connected", "resumed"), 15.0)
    quiet(watch, 15.0, 22.75)
    at, action = first_action(watch, 22.75, 40.0)
    assert (at, action.step) == (23.0, StallStep.FRESH_SESSION)
    watch.observe_connection(ev.ConnectionState("resuming"), 23.0)
    watch.observe_connection(ev.ConnectionState("connected"), 24.0)
    call = ev.ToolCallEvent("c9", "lookup_order")
    recovered = watch.observe_server(ev.ToolCallsRequested((call,)), 26.0)  # a tool call is an answer
    assert recovered == StallRecovered(StallStep.FRESH_SESSION, StallKind.AFTER_USER_TURN, 1, 18.0)


def test_when_nothing_works_it_gives_up_and_watches_the_next_turn_afresh() -> None:
    watch = StallWatch(SETTINGS)
    stalled(watch)
    steps: list[tuple[float, StallStep]] = []
    now = 8.0
    while len(steps) < 3:
        at, action = first_action(watch, now, now + 30.0)
        steps.append((at, action.step))
        now = at + 0.25
    assert steps == [(14.0, StallStep.RESUME), (22.0, StallStep.FRESH_SESSION), (32.0, StallStep.GIVE_UP)]
    assert watch.armed is None
    quiet(watch, 32.0, 90.0)
    spoken_turn(watch, 100.0)
    assert first_action(watch, 100.0, 120.0) == (108.0, StallAction(StallStep.NUDGE, StallKind.AFTER_USER_TURN,
                                                                     stall=2, waited_s=8.0))
    assert watch.counts.summary() == {"stalls": 2, "recovered": {"nudge": 0, "resume": 0, "fresh_session": 0},
                                      "unrecovered": 1}


def test_steps_the_session_cannot_take_are_left_out() -> None:
    watch = StallWatch(StallSettings(steps=(StallStep.NUDGE, StallStep.FRESH_SESSION)))
    stalled(watch)
    at, action = first_action(watch, 8.0, 30.0)
    assert (at, action.step) == (14.0, StallStep.FRESH_SESSION)


def test_the_user_speaking_again_during_recovery_keeps_the_ladder() -> None:
    watch = StallWatch(SETTINGS)
    stalled(watch)
    spoken_turn(watch, 12.0)  # "hello?" -- paused while speaking, the wait restarts at its end
    quiet(watch, 8.0, 17.75)
    at, action = first_action(watch, 17.75, 30.0)
    assert (at, action.step) == (18.0, StallStep.RESUME)


# --- no false stalls ------------------------------------------------------------------------------


def test_nothing_is_judged_before_the_user_speaks() -> None:
    watch = StallWatch(SETTINGS)
    watch.observe_connection(ev.ConnectionState("connected"), 0.0)
    watch.observe_server(ev.ResumptionUpdate("h1", True, None), 0.5)
    quiet(watch, 0.0, 120.0)


def test_nothing_is_judged_after_an_answered_turn() -> None:
    watch = StallWatch(SETTINGS)
    answered_turn(watch, 0.0)
    quiet(watch, 0.0, 120.0)
    assert watch.counts.stalls == 0


def test_no_stall_while_a_tool_runs() -> None:
    watch = StallWatch(SETTINGS)
    spoken_turn(watch, 0.0)
    watch.observe_server(ev.ToolCallsRequested((ev.ToolCallEvent("c1", "slow_report"),)), 1.0)
    watch.tools_busy(True, 1.0)
    watch.observe_server(ev.ServerTurnComplete(), 1.5)  # a NON_BLOCKING call: the turn closes at once
    quiet(watch, 1.5, 90.0)
    watch.tools_busy(False, 90.0)
    watch.observe_outgoing(ev.SendToolResponses((ev.ToolReply("c1", "slow_report", {"output": "done"},
                                                              "WHEN_IDLE"),)), 90.0)
    assert watch.observe_server(AUDIO, 91.0) is None
    watch.observe_server(ev.ServerTurnComplete(), 95.0)
    quiet(watch, 95.0, 200.0)


def test_a_user_turn_during_a_running_tool_waits_for_the_tool() -> None:
    watch = StallWatch(SETTINGS)
    watch.tools_busy(True, 0.0)
    spoken_turn(watch, 5.0)
    quiet(watch, 5.0, 60.0)
    watch.tools_busy(False, 60.0)  # the wait starts when nothing is pending any more
    assert first_action(watch, 60.0, 80.0)[0] == 68.0


def test_no_stall_during_a_long_reply() -> None:
    # The service streams audio faster than real time, then sends turnComplete when playback is over.
    watch = StallWatch(SETTINGS)
    spoken_turn(watch, 0.0)
    watch.observe_server(AUDIO, 0.6)
    watch.observe_server(ev.GenerationComplete(), 2.0)
    quiet(watch, 2.0, 45.0)
    watch.observe_server(ev.ServerTurnComplete(), 45.0)
    quiet(watch, 45.0, 120.0)


def test_no_stall_while_reconnecting() -> None:
    watch = StallWatch(SETTINGS)
    spoken_turn(watch, 0.0)
    watch.observe_connection(ev.ConnectionState("reconnecting", "1/8"), 3.0)
    quiet(watch, 3.0, 60.0)
    watch.observe_connection(ev.ConnectionState("connected", "resumed"), 60.0)
    assert first_action(watch, 60.0, 80.0)[0] == 68.0


def test_no_stall_while_the_user_speaks() -> None:
    watch = StallWatch(SETTINGS)
    watch.observe_outgoing(ev.SendActivityStart(), 0.0)
    quiet(watch, 0.0, 60.0)


def test_a_silent_tool_response_asks_for_no_answer() -> None:
    watch = StallWatch(SETTINGS)
    answered_turn(watch, 0.0)
    watch.observe_outgoing(ev.SendToolResponses((ev.ToolReply("c2", "log_note", {"output": "ok"}, "SILENT"),)), 5.0)
    quiet(watch, 5.0, 60.0)


def test_a_note_that_asks_for_no_answer_does_not_arm() -> None:
    watch = StallWatch(SETTINGS)
    answered_turn(watch, 0.0)
    watch.observe_outgoing(Note("[The user interrupted you.]"), 5.0)
    quiet(watch, 5.0, 60.0)


def test_with_server_side_detection_noise_the_service_did_not_hear_arms_nothing() -> None:
    watch = StallWatch(SETTINGS)
    answered_turn(watch, 0.0)
    watch.user_speaking(10.0)  # a cough, by the microphone's level
    watch.user_turn_ended(10.5, explicit=False)
    quiet(watch, 10.5, 60.0)


def test_with_server_side_detection_a_transcribed_turn_arms() -> None:
    watch = StallWatch(SETTINGS)
    watch.user_speaking(0.0)
    watch.observe_server(ev.Transcript("user", "where is"), 0.8)
    watch.user_turn_ended(1.5, explicit=False)
    assert first_action(watch, 1.5, 20.0)[0] == 9.5


def test_with_server_side_detection_a_late_transcript_arms_when_it_comes() -> None:
    watch = StallWatch(SETTINGS)
    watch.user_speaking(0.0)
    watch.user_turn_ended(1.5, explicit=False)
    quiet(watch, 1.5, 3.75)
    watch.observe_server(ev.Transcript("user", "where is my order"), 2.0)
    assert first_action(watch, 2.0, 20.0)[0] == 10.0


def test_a_transcript_of_the_previous_turn_does_not_arm_the_next_noise() -> None:
    watch = StallWatch(SETTINGS)
    answered_turn(watch, 0.0)
    watch.observe_server(ev.Transcript("user", "thanks"), 3.5)  # trails in after the reply
    watch.user_speaking(10.0)
    watch.user_turn_ended(10.5, explicit=False)
    quiet(watch, 10.5, 60.0)


def test_a_reply_cut_by_a_drop_that_will_be_repeated_is_watched_again() -> None:
    watch = StallWatch(SETTINGS)
    spoken_turn(watch, 0.0)
    watch.observe_server(AUDIO, 0.5)
    watch.observe_connection(ev.ConnectionState("reconnecting", "1/8"), 1.0)
    watch.observe_connection(ev.ConnectionState("connected", "resumed"), 3.0)
    watch.observe_server(ev.ReplyCut(will_repeat=True), 3.0)
    assert first_action(watch, 3.0, 20.0) == (11.0, StallAction(StallStep.NUDGE, StallKind.AFTER_USER_TURN, 1, 8.0))


def test_a_reply_cut_for_good_ends_the_turn() -> None:
    watch = StallWatch(SETTINGS)
    spoken_turn(watch, 0.0)
    watch.observe_server(AUDIO, 0.5)
    watch.observe_server(ev.ReplyCut(will_repeat=False), 3.0)
    quiet(watch, 3.0, 60.0)


# --- settings and helpers ---------------------------------------------------------------------------


def test_zero_turns_the_guard_off() -> None:
    watch = StallWatch(StallSettings(after_s=0))
    spoken_turn(watch, 0.0)
    quiet(watch, 0.0, 60.0)


@pytest.mark.parametrize("settings", [
    {"after_s": -1.0}, {"steps": (StallStep.NUDGE, StallStep.NUDGE)}, {"steps": (StallStep.GIVE_UP,)},
])
def test_impossible_settings_are_refused(settings: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        StallSettings(**settings)  # type: ignore[arg-type]


def test_a_fresh_session_is_told_what_the_user_last_said() -> None:
    summary = "Here is what was said so far:\nUser: hello\nYou: Hi, how can I help?"
    context = unanswered_context(summary, "  where is\nmy order  ")
    assert context == summary + '\nThe user\'s last message, not answered yet: "where is my order"'
    assert unanswered_context(None, None) is None
    long = unanswered_context(None, "x" * 2000)
    assert long is not None and long.endswith('"') and long.count("x") == MAX_UNANSWERED_CHARS - 1
    assert nudge_for(StallStep.NUDGE) == NUDGE_TEXT
    assert nudge_for(StallStep.FRESH_SESSION, unanswered_known=True) == NUDGE_TEXT
    assert nudge_for(StallStep.FRESH_SESSION, unanswered_known=False) == LOST_TURN_TEXT


# --- the timer ----------------------------------------------------------------------------------------


class _Stop(Exception):
    pass


async def test_the_timer_ticks_the_watch_and_hands_over_each_action() -> None:
    watch = StallWatch(SETTINGS)
    spoken_turn(watch, 0.0)
    clock = [0.0]
    taken: list[tuple[float, StallStep]] = []

    async def fake_sleep(seconds: float) -> None:
        clock[0] += seconds

    async def act(action: StallAction) -> None:
        taken.append((clock[0], action.step))
        if action.step is StallStep.GIVE_UP:
            raise _Stop

    with pytest.raises(_Stop):
        await run_stall_watch(watch, act, clock=lambda: clock[0], period_s=0.5, sleep=fake_sleep)
    assert taken == [(8.0, StallStep.NUDGE), (14.0, StallStep.RESUME), (22.0, StallStep.FRESH_SESSION),
                     (32.0, StallStep.GIVE_UP)]


async def test_the_timer_takes_a_plain_callback() -> None:
    watch = StallWatch(SETTINGS)
    spoken_turn(watch, 0.0)
    clock = [0.0]
    taken: list[StallAction] = []

    async def fake_sleep(seconds: float) -> None:
        clock[0] += seconds
        if clock[0] > 9.0:
            raise _Stop

    with pytest.raises(_Stop):
        await run_stall_watch(watch, taken.append, clock=lambda: clock[0], period_s=1.0, sleep=fake_sleep)
    assert [action.step for action in taken] == [StallStep.NUDGE]

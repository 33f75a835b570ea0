from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voicecli import events as ev
from voicecli.live.replay import Buffered, MessageKind, ReplayBuffer, ReplayLimits, kind_of, size_of


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def audio(n: int, size: int = 640) -> ev.SendAudio:
    return ev.SendAudio(n.to_bytes(4, "little") * (size // 4))


def tool(*call_ids: str) -> ev.SendToolResponses:
    return ev.SendToolResponses(tuple(ev.ToolReply(c, "f", {"output": c}) for c in call_ids))


def messages(entries: list[Buffered]) -> list[ev.Outgoing]:
    return [entry.message for entry in entries]


START, END = ev.SendActivityStart(), ev.SendActivityEnd()


def test_kinds_and_sizes() -> None:
    assert kind_of(audio(1)) is MessageKind.AUDIO
    assert kind_of(START) is MessageKind.ACTIVITY_START
    assert kind_of(END) is MessageKind.ACTIVITY_END
    assert kind_of(ev.SendAudioStreamEnd()) is MessageKind.AUDIO_STREAM_END
    assert kind_of(ev.SendText("hi")) is MessageKind.TEXT
    assert kind_of(tool("c1")) is MessageKind.TOOL_RESPONSE
    assert size_of(audio(1)) == 640
    assert size_of(ev.SendText("héllo")) == 6
    with pytest.raises(TypeError):
        kind_of("nope")  # type: ignore[arg-type]


def test_indices_are_per_connection_and_start_after_setup() -> None:
    buffer = ReplayBuffer(FakeClock())
    assert buffer.new_connection() == []
    assert [buffer.append(audio(n)) for n in range(3)] == [1, 2, 3]
    assert buffer.last_index == 3
    buffer.ack(3)
    assert buffer.new_connection() == []
    assert buffer.append(audio(9)) == 1


def test_ack_prunes_what_was_consumed_and_keeps_order() -> None:
    buffer = ReplayBuffer(FakeClock())
    buffer.new_connection()
    for n in range(5):
        buffer.append(audio(n))
    assert buffer.ack(2) == 2
    assert messages(buffer.pending_for_replay()) == [audio(2), audio(3), audio(4)]
    assert buffer.ack(1) == 0  # older acknowledgement: nothing changes
    assert buffer.ack(0) == 0  # "not resumable yet"
    assert buffer.ack(99) == 3  # clamped to what was sent
    assert len(buffer) == 0
    assert buffer.pending_bytes == 0


def test_reconnect_replays_unacked_messages_with_fresh_indices() -> None:
    buffer = ReplayBuffer(FakeClock())
    buffer.new_connection()
    for n in range(4):
        buffer.append(audio(n))
    buffer.append(tool("c1"))
    buffer.ack(2)
    replay = buffer.new_connection()
    assert [entry.index for entry in replay] == [1, 2, 3]
    assert messages(replay) == [audio(2), audio(3), tool("c1")]
    assert buffer.append(audio(10)) == 4
    # The new connection's acknowledgement covers the replayed messages by their new indices.
    assert buffer.ack(3) == 3
    assert messages(buffer.pending_for_replay()) == [audio(10)]
    assert buffer.replayed_messages == 3


def test_a_drop_during_replay_replays_the_same_messages_again() -> None:
    buffer = ReplayBuffer(FakeClock())
    buffer.new_connection()
    for n in range(3):
        buffer.append(audio(n))
    first = buffer.new_connection()
    second = buffer.new_connection()
    assert messages(first) == messages(second) == [audio(0), audio(1), audio(2)]
    assert [e.index for e in second] == [1, 2, 3]
    assert buffer.dropped_messages == 0


def test_resumable_point_releases_what_was_sent_before_it() -> None:
    buffer = ReplayBuffer(FakeClock())
    buffer.new_connection()
    buffer.append(ev.SendText("hello"))
    buffer.append(tool("c1"))
    assert buffer.mark_resumable_point() == 2
    buffer.append(audio(1))
    assert messages(buffer.new_connection()) == [audio(1)]
    assert buffer.dropped_messages == 0


def test_resumable_point_keeps_the_open_utterance_whole() -> None:
    buffer = ReplayBuffer(FakeClock())
    buffer.new_connection()
    for message in (START, audio(1), END, START, audio(2), tool("c1"), audio(3)):
        buffer.append(message)
    buffer.mark_resumable_point()
    # The closed utterance and the tool response are in the session; the open one is re-sent from its start.
    assert messages(buffer.pending_for_replay()) == [START, audio(2), audio(3)]
    buffer.append(END)
    buffer.mark_resumable_point()
    assert len(buffer) == 0


def test_count_bound_evicts_oldest_audio_and_counts_it() -> None:
    buffer = ReplayBuffer(FakeClock(), ReplayLimits(max_messages=3))
    buffer.new_connection()
    for n in range(5):
        buffer.append(audio(n))
    assert messages(buffer.pending_for_replay()) == [audio(2), audio(3), audio(4)]
    assert buffer.dropped_messages == 2
    assert buffer.dropped_bytes == 2 * 640


def test_byte_bound_evicts_until_it_fits() -> None:
    buffer = ReplayBuffer(FakeClock(), ReplayLimits(max_bytes=2000))
    buffer.new_connection()
    for n in range(4):
        buffer.append(audio(n))
    assert buffer.pending_bytes <= 2000
    assert messages(buffer.pending_for_replay()) == [audio(1), audio(2), audio(3)]
    assert buffer.dropped_messages == 1


def test_age_bound_uses_the_clock_across_reconnects() -> None:
    clock = FakeClock()
    buffer = ReplayBuffer(clock, ReplayLimits(max_age_s=10.0))
    buffer.new_connection()
    buffer.append(audio(0))
    clock.now = 6.0
    buffer.append(audio(1))
    buffer.new_connection()  # replayed messages keep their original age
    clock.now = 10.5
    assert messages(buffer.pending_for_replay()) == [audio(1)]
    assert buffer.dropped_messages == 1


def test_text_and_tool_responses_survive_the_bounds() -> None:
    clock = FakeClock()
    buffer = ReplayBuffer(clock, ReplayLimits(max_messages=2, max_age_s=5.0))
    buffer.new_connection()
    buffer.append(ev.SendText("book a table"))
    buffer.append(tool("c1"))
    for n in range(3):
        buffer.append(audio(n))
    clock.now = 100.0
    assert messages(buffer.pending_for_replay()) == [ev.SendText("book a table"), tool("c1")]
    assert buffer.dropped_messages == 3


def test_pinned_bound_keeps_them_finite() -> None:
    buffer = ReplayBuffer(FakeClock(), ReplayLimits(max_pinned=2))
    buffer.new_connection()
    for n in range(4):
        buffer.append(ev.SendText(f"t{n}"))
    assert messages(buffer.pending_for_replay()) == [ev.SendText("t2"), ev.SendText("t3")]
    assert buffer.dropped_messages == 2


def test_evicting_an_utterance_start_drops_the_whole_utterance() -> None:
    buffer = ReplayBuffer(FakeClock(), ReplayLimits(max_messages=5))
    buffer.new_connection()
    for message in (START, audio(1), audio(2), END, ev.SendText("typed"), START, audio(3)):
        buffer.append(message)
    # The first utterance is gone with its end marker; text and the second utterance remain.
    assert messages(buffer.pending_for_replay()) == [ev.SendText("typed"), START, audio(3)]
    assert buffer.dropped_messages == 4


def test_an_open_utterance_that_lost_its_start_is_dropped_to_its_end() -> None:
    buffer = ReplayBuffer(FakeClock(), ReplayLimits(max_messages=3))
    buffer.new_connection()
    for n, message in enumerate((START, audio(1), audio(2), audio(3))):
        assert buffer.append(message) == n + 1
    assert len(buffer) == 0  # start evicted: nothing of the utterance is replayable
    buffer.append(audio(4))
    buffer.append(END)
    assert len(buffer) == 0
    assert buffer.dropped_messages == 6
    # The next utterance is buffered normally.
    buffer.append(START)
    buffer.append(audio(5))
    assert messages(buffer.pending_for_replay()) == [START, audio(5)]


def test_an_end_whose_start_was_consumed_is_kept_for_a_coherent_replay() -> None:
    buffer = ReplayBuffer(FakeClock(), ReplayLimits(max_messages=2))
    buffer.new_connection()
    for message in (START, audio(1), audio(2), END, audio(3)):
        buffer.append(message)
        if message == START:
            buffer.ack(1)
    assert END in messages(buffer.pending_for_replay())


def test_withdraw_removes_responses_to_cancelled_calls() -> None:
    buffer = ReplayBuffer(FakeClock())
    buffer.new_connection()
    buffer.append(tool("c1", "c2"))
    buffer.append(tool("c3"))
    buffer.append(audio(1))
    assert buffer.withdraw_calls(["c2", "c3"]) == 2
    assert messages(buffer.pending_for_replay()) == [tool("c1"), audio(1)]
    assert buffer.dropped_messages == 0


def test_clear_forgets_everything_for_a_fresh_session() -> None:
    buffer = ReplayBuffer(FakeClock())
    buffer.new_connection()
    buffer.append(START)
    buffer.append(audio(1))
    buffer.clear()
    assert buffer.new_connection() == []
    assert buffer.pending_bytes == 0


# --- properties: random sends, acknowledgements, reconnects and time --------------------------


@dataclass
class Model:
    """What the test knows independently: serial -> index on the current connection, and acks."""

    index: dict[int, int] = field(default_factory=dict)
    acked: set[int] = field(default_factory=set)
    utterance_of: dict[int, int] = field(default_factory=dict)
    start_of: dict[int, int] = field(default_factory=dict)
    serial: int = 0


operations = st.lists(
    st.one_of(
        st.tuples(st.just("audio"), st.integers(1, 3)),
        st.tuples(st.just("start"), st.just(0)),
        st.tuples(st.just("end"), st.just(0)),
        st.tuples(st.just("text"), st.just(0)),
        st.tuples(st.just("tool"), st.just(0)),
        st.tuples(st.just("ack"), st.integers(-1, 4)),
        st.tuples(st.just("reconnect"), st.just(0)),
        st.tuples(st.just("tick"), st.integers(0, 8)),
    ),
    max_size=80,
)


def run_vertex(ops: list[tuple[str, int]], limits: ReplayLimits) -> tuple[ReplayBuffer, Model]:
    clock = FakeClock()
    buffer = ReplayBuffer(clock, limits)
    model = Model()
    buffer.new_connection()
    utterance: int | None = None
    for op, arg in ops:
        if op == "ack":
            target = max(0, buffer.last_index - arg)  # near the newest index, sometimes beyond it
            buffer.ack(target)
            model.acked |= {s for s, i in model.index.items() if i <= target}
        elif op == "reconnect":
            replay = buffer.new_connection()
            model.index = {entry.serial: entry.index for entry in replay}
        elif op == "tick":
            clock.now += arg
        else:
            message: ev.Outgoing = {
                "audio": audio(model.serial, 4 * arg),
                "start": START,
                "end": END,
                "text": ev.SendText(f"t{model.serial}"),
                "tool": tool(f"c{model.serial}"),
            }[op]
            model.serial += 1
            if op == "start":
                utterance = model.serial
                model.start_of[utterance] = model.serial
            if utterance is not None and op in ("start", "audio", "end"):
                model.utterance_of[model.serial] = utterance
            if op == "end":
                utterance = None
            model.index[model.serial] = buffer.append(message)
        check_invariants(buffer, model)
    return buffer, model


def check_invariants(buffer: ReplayBuffer, model: Model) -> None:
    pending = buffer.pending_for_replay()
    serials = [entry.serial for entry in pending]
    assert serials == sorted(serials), "replay order differs from send order"
    indices = [entry.index for entry in pending]
    assert indices == sorted(set(indices)) and all(1 <= i <= buffer.last_index for i in indices)
    assert not set(serials) & model.acked, "an acknowledged message would be replayed"
    unacked = set(range(1, model.serial + 1)) - model.acked
    assert len(unacked - set(serials)) <= buffer.dropped_messages, "an unacked message was lost uncounted"
    for entry in pending:
        utterance = model.utterance_of.get(entry.serial)
        if utterance is None or entry.kind is MessageKind.ACTIVITY_START:
            continue
        start = model.start_of[utterance]
        assert start in serials or start in model.acked, "utterance frames replayed without their start"


@settings(max_examples=300, deadline=None)
@given(ops=operations)
def test_vertex_replay_never_resends_acked_and_never_loses_uncounted(ops: list[tuple[str, int]]) -> None:
    run_vertex(ops, ReplayLimits(max_messages=6, max_bytes=40, max_age_s=10.0, max_pinned=3))


@settings(max_examples=150, deadline=None)
@given(ops=operations)
def test_with_room_to_spare_nothing_is_dropped(ops: list[tuple[str, int]]) -> None:
    without_time = [(op, arg) for op, arg in ops if op != "tick"]
    buffer, model = run_vertex(without_time, ReplayLimits())
    assert buffer.dropped_messages == 0
    unacked = set(range(1, model.serial + 1)) - model.acked
    assert {entry.serial for entry in buffer.pending_for_replay()} == unacked


@settings(max_examples=150, deadline=None)
@given(ops=st.lists(st.sampled_from(["audio", "start", "end", "tool", "point", "reconnect"]), max_size=60))
def test_developer_replay_is_what_followed_the_last_resumable_point(ops: list[str]) -> None:
    buffer = ReplayBuffer(FakeClock())
    buffer.new_connection()
    since_point: list[int] = []
    open_utterance: list[int] = []  # start and audio serials of the utterance still open
    serial = 0
    for op in ops:
        if op == "point":
            buffer.mark_resumable_point()
            since_point = list(open_utterance)
        elif op == "reconnect":
            buffer.new_connection()
        else:
            message = {"audio": audio(serial), "start": START, "end": END, "tool": tool(f"c{serial}")}[op]
            serial += 1
            buffer.append(message)
            since_point.append(serial)
            if op == "start":
                open_utterance = [serial]
            elif op == "end":
                open_utterance = []
            elif op == "audio" and open_utterance:
                open_utterance.append(serial)
        assert [entry.serial for entry in buffer.pending_for_replay()] == since_point

from __future__ import annotations

from voicecli import events as ev
from voicecli.live.resumption import ResumptionPolicy


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def audio(n: int) -> ev.SendAudio:
    return ev.SendAudio(bytes([n]) * 640)


def sent(policy: ResumptionPolicy) -> list[ev.Outgoing]:
    return [entry.message for entry in policy.buffer.pending_for_replay()]


def test_transparent_acks_only_from_resumable_updates() -> None:
    policy = ResumptionPolicy(FakeClock(), transparent=True)
    policy.on_connect()
    for n in range(4):
        policy.buffer.append(audio(n))
    policy.on_update("", False, 3)
    assert len(sent(policy)) == 4
    policy.on_update("h1", True, 2)
    assert sent(policy) == [audio(2), audio(3)]
    policy.on_turn_complete()  # no effect in transparent mode
    assert sent(policy) == [audio(2), audio(3)]
    assert policy.handles.handle == "h1"


def test_developer_session_named_handles_release_at_turn_end() -> None:
    # One update per connection, right after setup (the handle names the session).
    policy = ResumptionPolicy(FakeClock(), transparent=False)
    policy.on_connect()
    policy.on_update("h1", True, None)
    policy.buffer.append(audio(1))
    policy.on_turn_complete()
    assert sent(policy) == []
    policy.buffer.append(audio(2))
    assert [e.message for e in policy.on_connect()] == [audio(2)]
    policy.on_update("h1", True, None)  # the resumed connection's update
    assert not policy.refreshes_handles


def test_developer_refreshing_handles_release_at_the_update_not_the_turn_end() -> None:
    policy = ResumptionPolicy(FakeClock(), transparent=False)
    policy.on_connect()
    policy.on_update("h1", True, None)
    policy.buffer.append(audio(1))
    policy.on_turn_complete()
    policy.on_update("h2", True, None)  # a refresh after the turn: the service snapshots
    assert policy.refreshes_handles
    policy.buffer.append(audio(2))
    policy.on_turn_complete()
    assert sent(policy) == [audio(2)]  # the held handle h2 predates this turn
    policy.on_update("", False, None)
    assert sent(policy) == [audio(2)]
    policy.on_update("h3", True, None)
    assert sent(policy) == []


def test_stale_handle_starts_afresh() -> None:
    policy = ResumptionPolicy(FakeClock(), transparent=False)
    policy.on_connect()
    policy.on_update("h1", True, None)
    policy.buffer.append(audio(1))
    policy.on_stale_handle()
    assert policy.handles.handle is None
    assert policy.on_connect() == []


def test_reply_start_releases_the_turn_when_the_handle_names_the_session() -> None:
    policy = ResumptionPolicy(FakeClock(), transparent=False)
    policy.on_connect()
    policy.on_update("h1", True, None)
    policy.buffer.append(ev.SendText("book me in"))
    speech = [audio(n) for n in range(50)]  # one second of audio
    for frame in speech:
        policy.buffer.append(frame)
    policy.on_reply_started()  # the session already holds the turn
    policy.buffer.append(audio(99))  # said after the reply began
    # The newest half second may still be on the wire when the reply starts: it is kept.
    assert sent(policy) == [*speech[25:], audio(99)]


def test_a_not_resumable_update_shows_handles_name_moments_and_keeps_the_turn() -> None:
    policy = ResumptionPolicy(FakeClock(), transparent=False)
    policy.on_connect()
    policy.on_update("h1", True, None)
    policy.buffer.append(ev.SendText("book me in"))
    policy.on_update("", False, None)  # "not now": the service is generating
    assert policy.refreshes_handles
    policy.on_reply_started()
    assert sent(policy) == [ev.SendText("book me in")]  # a resume from h1 must hear it again
    assert policy.handles.handle == "h1"

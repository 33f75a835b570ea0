"""The turn tracker: the one place that knows whether the agent is replying, and how fast it answered.

Pure state, no I/O and no clock of its own: callers pass the time. The conversation and the Live
connection read and move the same tracker, so "is a reply under way" has one answer. Every
transition is idempotent (``reply_started`` returns whether it changed anything), so two owners
observing the same server event cannot count it twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TurnTracker:
    replying: bool = False  # the agent is speaking, or working on a reply (a tool call pending)
    epoch: int = 0  # completed agent turns, for waiters: "a turn after N has completed"
    user_speaking: bool = False
    last_server_activity: float = 0.0
    received_audio_s: float = 0.0  # agent audio of the current reply, received so far
    user_speech_ended_at: float | None = None
    first_audio_at: float | None = None
    latencies: list[float] = field(default_factory=list)

    def server_activity(self, now: float) -> None:
        self.last_server_activity = now

    def reply_started(self) -> bool:
        """The agent is replying; True when this is news (it was not before)."""
        if self.replying:
            return False
        self.replying = True
        return True

    def reply_ended(self) -> None:
        """The reply stopped (the turn ended, or the connection that carried it is gone)."""
        self.replying = False

    def agent_audio(self, now: float, seconds: float) -> None:
        self.reply_started()
        if self.first_audio_at is None:
            self.first_audio_at = now
        self.received_audio_s += seconds

    def user_stopped_speaking(self, now: float) -> None:
        """The end of the user's speech (or text turn): the reply latency counts from here."""
        self.user_speech_ended_at = now

    def restart_reply(self) -> None:
        """The reply is starting over (a resumed session answers the same turn again)."""
        self.replying = False
        self.received_audio_s = 0.0
        self.first_audio_at = None

    def complete_turn(self) -> float | None:
        """The agent's turn is over; returns its reply latency when both ends of it are known."""
        latency = None
        if self.user_speech_ended_at is not None and self.first_audio_at is not None:
            latency = max(0.0, self.first_audio_at - self.user_speech_ended_at)
            self.latencies.append(latency)
        self.restart_reply()
        self.user_speech_ended_at = None
        self.epoch += 1
        return latency

    def replied_since(self, epoch: int) -> bool:
        """A turn after ``epoch`` has completed, or one is under way."""
        return self.replying or self.epoch > epoch

    def settled(self, epoch: int, now: float, *, quiet_s: float, busy: bool) -> bool:
        """A turn after ``epoch`` completed, nothing is under way and the service has been quiet."""
        return (self.epoch > epoch and not self.replying and not busy
                and now - self.last_server_activity >= quiet_s)

    def next_epoch(self) -> int:
        """The epoch whose completion a turn sent now waits for: a reply it cuts off completes first."""
        return self.epoch + (1 if self.replying else 0)

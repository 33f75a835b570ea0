"""The client message buffer: what was sent, so a resumed session can be given it again.

Every message sent after setup is kept with its per-connection index (setup is 0, the first
message after it 1; numbering restarts on every connection). Two ways to forget messages:

* Vertex AI, transparent resumption: ``ack(last_consumed_index)`` from a resumable update
  drops everything the service says it consumed. The rest is replayed, in order, with fresh
  indices on the next connection.
* Gemini Developer API: ``mark_resumable_point()`` on every resumable update (and on every
  turn completion, which proves the turn's input was consumed) drops what was sent before it.
  What was sent since is replayed.

The buffer is bounded by count, bytes and age; anything evicted unacknowledged is counted in
``dropped_messages``/``dropped_bytes``, never forgotten silently. Activity markers stay
coherent: an utterance whose ``activityStart`` is evicted is dropped whole, so a replay never
sends audio or an ``activityEnd`` without the start it belongs to. Text turns, tool responses
and ``activityEnd`` markers are small and costly to lose, so count, byte and age bounds skip
them; a separate ``max_pinned`` bound keeps them finite. Notes (``MessageKind.NOTE``) are kept
for their indices only and never replayed. The policy and its reasons are in
``docs/resilience.md``.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from enum import Enum

from voicecli import events as ev
from voicecli.audio.format import INPUT_BYTES_PER_S, REPLAY_MAX_BYTES, REPLAY_MAX_FRAMES


class MessageKind(Enum):
    AUDIO = "audio"
    ACTIVITY_START = "activity_start"
    ACTIVITY_END = "activity_end"
    AUDIO_STREAM_END = "audio_stream_end"
    TEXT = "text"
    TOOL_RESPONSE = "tool_response"
    # Said once: a note for the model (what the user heard of a cut reply) or a stall nudge. Buffered
    # like any message, so the indices the service acknowledges still line up, but never sent again
    # on a new connection: the model reading a note twice costs more than losing one to a drop.
    NOTE = "note"


# Kinds the count, byte and age bounds never evict (see the module docstring).
PINNED_KINDS = frozenset({MessageKind.TEXT, MessageKind.TOOL_RESPONSE, MessageKind.ACTIVITY_END})


def kind_of(message: ev.Outgoing) -> MessageKind:
    match message:
        case ev.SendAudio():
            return MessageKind.AUDIO
        case ev.SendActivityStart():
            return MessageKind.ACTIVITY_START
        case ev.SendActivityEnd():
            return MessageKind.ACTIVITY_END
        case ev.SendAudioStreamEnd():
            return MessageKind.AUDIO_STREAM_END
        case ev.SendText(turn_complete=turn_complete, resend=resend):
            return MessageKind.TEXT if turn_complete and resend else MessageKind.NOTE
        case ev.SendToolResponses():
            return MessageKind.TOOL_RESPONSE
    raise TypeError(f"not an outgoing message: {message!r}")


def size_of(message: ev.Outgoing) -> int:
    """Approximate payload bytes, for the byte bound (markers count as a few bytes)."""
    match message:
        case ev.SendAudio(pcm):
            return len(pcm)
        case ev.SendText(text):
            return len(text.encode())
        case ev.SendToolResponses(replies):
            return sum(len(reply.call_id) + len(reply.name) + len(repr(reply.response)) for reply in replies)
    return 16


@dataclass(frozen=True)
class Buffered:
    """One sent message. ``index`` is its index on the current connection."""

    index: int
    message: ev.Outgoing
    kind: MessageKind
    size: int
    sent_at: float  # first sent; the age bound counts from here, across replays
    serial: int  # unique for the buffer's lifetime


AUDIO_BYTES_PER_S = INPUT_BYTES_PER_S  # 16 kHz PCM16 mono


@dataclass(frozen=True)
class ReplayLimits:
    max_messages: int = REPLAY_MAX_FRAMES  # 30 s of 20 ms audio frames
    max_bytes: int = REPLAY_MAX_BYTES  # ~31 s of 16 kHz PCM16
    max_age_s: float = 30.0
    max_pinned: int = 64


class ReplayBuffer:
    """Sent messages not yet known to be reflected in the session a handle resumes."""

    def __init__(self, clock: Callable[[], float], limits: ReplayLimits | None = None) -> None:
        self._clock = clock
        self.limits = limits or ReplayLimits()
        self._entries: deque[Buffered] = deque()
        self._next_index = 1
        self._acked = 0
        self._serial = 0
        self._bytes = 0
        self._pinned = 0
        # Serial of the activityStart of the utterance still open (no activityEnd sent yet).
        self._open_start: int | None = None
        # The open utterance lost its start to eviction: its later frames are dropped too.
        self._open_truncated = False
        self.dropped_messages = 0
        self.dropped_bytes = 0
        self.replayed_messages = 0

    # --- state -------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Buffered]:
        return iter(tuple(self._entries))

    @property
    def pending_bytes(self) -> int:
        return self._bytes

    @property
    def last_index(self) -> int:
        """The index of the last message sent on this connection (0: only setup)."""
        return self._next_index - 1

    def pending_for_replay(self) -> list[Buffered]:
        """The messages a resumed session still needs, oldest first (notes are never sent again)."""
        self._expire()
        return [entry for entry in self._entries if entry.kind is not MessageKind.NOTE]

    # --- connection lifecycle -----------------------------------------------------------------

    def new_connection(self) -> list[Buffered]:
        """A new connection starts (its setup is index 0). Returns the replay, renumbered 1..k.

        The caller sends exactly these messages, in order, right after setup completes and
        before anything new; new messages then continue from k+1. If this connection fails
        too, the same messages come back on the next one until acknowledged. Notes sent on the
        previous connection are let go here, unsent and uncounted (``MessageKind.NOTE``).
        """
        self._expire()
        kept = [entry for entry in self._entries if entry.kind is not MessageKind.NOTE]
        renumbered = [dataclasses.replace(entry, index=i) for i, entry in enumerate(kept, start=1)]
        self._entries = deque(renumbered)
        self._recount()
        self._next_index = len(renumbered) + 1
        self._acked = 0
        self.replayed_messages += len(renumbered)
        return renumbered

    def append(self, message: ev.Outgoing) -> int:
        """Record a message just before sending it; returns its index on this connection."""
        index = self._next_index
        self._next_index += 1
        self._serial += 1
        kind = kind_of(message)
        entry = Buffered(index, message, kind, size_of(message), self._clock(), self._serial)
        if kind is MessageKind.ACTIVITY_START:
            self._open_start = entry.serial
            self._open_truncated = False
        elif self._open_truncated and kind in (MessageKind.AUDIO, MessageKind.ACTIVITY_END):
            self._count_dropped(entry)
            if kind is MessageKind.ACTIVITY_END:
                self._open_truncated = False
            return index
        if kind is MessageKind.ACTIVITY_END:
            self._open_start = None
        self._push(entry)
        self._enforce_bounds()
        return index

    # --- forgetting what the service has -----------------------------------------------------

    def ack(self, last_consumed_index: int) -> int:
        """Vertex transparent mode: the service consumed every message up to this index.

        Returns how many messages were released. Indices beyond what was sent are clamped;
        an index lower than an earlier one changes nothing.
        """
        target = min(last_consumed_index, self.last_index)
        if target <= self._acked:
            return 0
        self._acked = target
        released = 0
        while self._entries and self._entries[0].index <= target:
            self._pop_left()
            released += 1
        return released

    def mark_resumable_point(self, *, keep_tail_s: float = 0.0) -> int:
        """Developer API: the session a handle resumes now includes everything sent so far.

        Everything buffered is released, except an utterance still open: it is kept from its
        ``activityStart`` so a replay re-sends the whole utterance, never a tail without its
        start. ``keep_tail_s`` also keeps the newest messages, back to that much audio, as they
        may still be on the wire. Returns how many messages were released.
        """
        tail: set[int] = set()
        tail_audio_s = 0.0
        for entry in reversed(self._entries):
            if tail_audio_s >= keep_tail_s:
                break
            tail.add(entry.serial)
            if entry.kind is MessageKind.AUDIO:
                tail_audio_s += entry.size / AUDIO_BYTES_PER_S
        keep: deque[Buffered] = deque()
        in_utterance = False
        for entry in self._entries:
            in_utterance = in_utterance or entry.serial == self._open_start
            if entry.serial in tail or (
                in_utterance and entry.kind in (MessageKind.ACTIVITY_START, MessageKind.AUDIO)
            ):
                keep.append(entry)
        released = len(self._entries) - len(keep)
        self._entries = keep
        self._recount()
        return released

    def withdraw_calls(self, call_ids: Collection[str]) -> int:
        """Remove unacknowledged responses to calls the service cancelled; returns how many."""
        wanted = set(call_ids)
        removed = 0
        kept: deque[Buffered] = deque()
        for entry in self._entries:
            if not isinstance(entry.message, ev.SendToolResponses):
                kept.append(entry)
                continue
            replies = tuple(r for r in entry.message.replies if r.call_id not in wanted)
            removed += len(entry.message.replies) - len(replies)
            if replies:
                message = ev.SendToolResponses(replies)
                kept.append(dataclasses.replace(entry, message=message, size=size_of(message)))
        self._entries = kept
        self._recount()
        return removed

    def clear(self) -> None:
        """A fresh session starts (stale handle): nothing of the old one is replayable."""
        self._entries.clear()
        self._recount()
        self._open_start = None
        self._open_truncated = False

    # --- bounds ------------------------------------------------------------------------------

    def _enforce_bounds(self) -> None:
        limits = self.limits
        while len(self._entries) > limits.max_messages or self._bytes > limits.max_bytes:
            if not self._evict_oldest(pinned=False):
                break
        while self._pinned > limits.max_pinned:
            self._evict_oldest(pinned=True)
        self._expire()

    def _expire(self) -> None:
        horizon = self._clock() - self.limits.max_age_s
        while True:
            oldest = next((e for e in self._entries if e.kind not in PINNED_KINDS), None)
            if oldest is None or oldest.sent_at >= horizon:
                return
            self._evict_oldest(pinned=False)

    def _evict_oldest(self, *, pinned: bool) -> bool:
        position = next(
            (i for i, e in enumerate(self._entries) if (e.kind in PINNED_KINDS) == pinned), None
        )
        if position is None:
            return False
        entry = self._entries[position]
        del self._entries[position]
        self._forget(entry)
        self._count_dropped(entry)
        if entry.kind is MessageKind.ACTIVITY_START:
            self._drop_utterance_after(position, entry.serial)
        return True

    def _drop_utterance_after(self, position: int, start_serial: int) -> None:
        """The start of an utterance was evicted: its audio and end go with it."""
        kept: deque[Buffered] = deque()
        closed = False
        for offset, entry in enumerate(self._entries):
            in_utterance = offset >= position and not closed
            if in_utterance and entry.kind in (MessageKind.AUDIO, MessageKind.ACTIVITY_END):
                closed = entry.kind is MessageKind.ACTIVITY_END
                self._forget(entry)
                self._count_dropped(entry)
                continue
            kept.append(entry)
        self._entries = kept
        if not closed and self._open_start == start_serial:
            self._open_truncated = True
            self._open_start = None

    # --- bookkeeping -------------------------------------------------------------------------

    def _push(self, entry: Buffered) -> None:
        self._entries.append(entry)
        self._bytes += entry.size
        self._pinned += entry.kind in PINNED_KINDS

    def _pop_left(self) -> None:
        self._forget(self._entries.popleft())

    def _forget(self, entry: Buffered) -> None:
        self._bytes -= entry.size
        self._pinned -= entry.kind in PINNED_KINDS

    def _recount(self) -> None:
        self._bytes = sum(e.size for e in self._entries)
        self._pinned = sum(e.kind in PINNED_KINDS for e in self._entries)

    def _count_dropped(self, entry: Buffered) -> None:
        if entry.kind is MessageKind.NOTE:
            return  # never to be sent again anyway: nothing is lost
        self.dropped_messages += 1
        self.dropped_bytes += entry.size

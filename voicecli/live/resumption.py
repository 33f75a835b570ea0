"""Which resumption updates and turn ends release buffered messages, on each backend.

Ties the handle store to the replay buffer so that a message is only released when the handle
we would resume with covers it:

* Transparent mode (Vertex AI): an update's ``lastConsumedClientMessageIndex`` is applied
  only when its handle was stored (``resumable: true``); a non-resumable update's index
  describes a state we cannot resume to.
* Developer API: every stored handle is a resumable point. Turn completions are points too,
  unless the service has shown it refreshes handles after turns: then the next update (tens
  of ms later) is the point, and the handle held at the turn end still predates the turn.
  The update a connection receives right after setup is never a point: the service issued it
  before it read anything sent on that connection, so releasing what was sent meanwhile (a
  replay, a greeting) would lose it.
"""

from __future__ import annotations

from collections.abc import Callable

from voicecli.live.handles import HandleStore
from voicecli.live.replay import Buffered, ReplayBuffer, ReplayLimits

# A reply proves the service read the input that ended the turn, not the newest frames, which may
# still be on the wire. Counted in audio (the same whether audio is sent in real time or faster):
# replaying a little trailing audio twice is harmless, losing it is not.
IN_FLIGHT_AUDIO_S = 0.5


class ResumptionPolicy:
    def __init__(
        self, clock: Callable[[], float], *, transparent: bool, limits: ReplayLimits | None = None
    ) -> None:
        self.transparent = transparent
        self.handles = HandleStore(clock)
        self.buffer = ReplayBuffer(clock, limits)
        self.refreshes_handles = False
        self._turn_ended_on_this_connection = False
        self._updates_on_this_connection = 0

    def on_connect(self) -> list[Buffered]:
        """A connection (fresh or resumed) starts; returns what to replay after setup."""
        self._turn_ended_on_this_connection = False
        self._updates_on_this_connection = 0
        return self.buffer.new_connection()

    def on_update(self, new_handle: str | None, resumable: bool, last_consumed_index: int | None) -> None:
        if not resumable:
            # Only a service whose handles name moments says "not now": its handles lag behind.
            self.refreshes_handles = True
        if not self.handles.update(new_handle, resumable):
            return
        self._updates_on_this_connection += 1
        if self.transparent:
            if last_consumed_index is not None:
                self.buffer.ack(last_consumed_index)
            return
        if self._turn_ended_on_this_connection:
            self.refreshes_handles = True
        if self._updates_on_this_connection > 1:
            self.buffer.mark_resumable_point()

    def on_turn_complete(self) -> None:
        self._turn_ended_on_this_connection = True
        if not self.transparent and not self.refreshes_handles:
            self.buffer.mark_resumable_point()

    def on_reply_started(self) -> None:
        """The model began answering: the input that ended the user's turn is in the session.

        Where a handle names the session (it is never refreshed), resuming restores a state that
        already holds that input, so replaying it would make the model hear the utterance twice.
        """
        if not self.transparent and not self.refreshes_handles:
            # What went out just before the reply began may still be on the wire: keep it.
            self.buffer.mark_resumable_point(keep_tail_s=IN_FLIGHT_AUDIO_S)

    def on_stale_handle(self) -> None:
        """The service no longer knows the session: the next connection starts afresh."""
        self.handles.clear()
        self.buffer.clear()
        self.refreshes_handles = False

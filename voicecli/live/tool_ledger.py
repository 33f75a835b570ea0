"""Every tool call the service asked for, so none runs twice across reconnects.

States: RUNNING -> DONE (result stored, not yet delivered) -> DELIVERED, or CANCELLED.
A call id is executed at most once. A result that completes while disconnected stays DONE
and is delivered after the resume; a call the service re-issues is answered from the stored
result instead of running again.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from voicecli.events import ToolReply


class CallState(Enum):
    RUNNING = "running"
    DONE = "done"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class CallDecision(Enum):
    RUN = "run"
    """New call id: execute the handler."""

    WAIT = "wait"
    """Already running: its result will be delivered when it finishes."""

    ANSWER_STORED = "answer_stored"
    """Already finished: send ``stored_reply(call_id)`` again, do not execute."""

    IGNORE = "ignore"
    """The service cancelled this call earlier: neither run nor answer it."""


@dataclass
class _Call:
    name: str
    state: CallState
    reply: ToolReply | None = None


class ToolLedger:
    """Call id -> state and stored reply. Settled calls beyond ``max_settled`` are forgotten oldest first."""

    def __init__(self, max_settled: int = 1000) -> None:
        self.max_settled = max_settled
        self._calls: OrderedDict[str, _Call] = OrderedDict()

    def state(self, call_id: str) -> CallState | None:
        call = self._calls.get(call_id)
        return call.state if call else None

    def on_call(self, call_id: str, name: str) -> CallDecision:
        """The service asks for ``call_id`` (first time, or again after a resume)."""
        call = self._calls.get(call_id)
        if call is None:
            self._calls[call_id] = _Call(name, CallState.RUNNING)
            self._trim()
            return CallDecision.RUN
        if call.state is CallState.RUNNING:
            return CallDecision.WAIT
        if call.state is CallState.CANCELLED:
            return CallDecision.IGNORE
        return CallDecision.ANSWER_STORED

    def finish(self, reply: ToolReply) -> bool:
        """Store a handler's result. True when it should be delivered (not cancelled meanwhile)."""
        call = self._calls.get(reply.call_id)
        if call is None or call.state is not CallState.RUNNING:
            return False
        call.state = CallState.DONE
        call.reply = reply
        return True

    def mark_delivered(self, call_ids: Iterable[str]) -> None:
        """The replies were handed to a live connection (the replay buffer covers their loss)."""
        for call_id in call_ids:
            call = self._calls.get(call_id)
            if call is not None and call.state is CallState.DONE:
                call.state = CallState.DELIVERED
        self._trim()

    def cancel(self, call_ids: Iterable[str]) -> list[str]:
        """The service cancelled these calls; returns the ones still running (to stop them)."""
        running = []
        for call_id in call_ids:
            call = self._calls.get(call_id)
            if call is None:
                # Unknown yet: remember it, so a late request for it is not executed.
                self._calls[call_id] = _Call("", CallState.CANCELLED)
                continue
            if call.state is CallState.RUNNING:
                running.append(call_id)
            if call.state in (CallState.RUNNING, CallState.DONE):
                call.state = CallState.CANCELLED
        self._trim()
        return running

    def stored_reply(self, call_id: str) -> ToolReply | None:
        call = self._calls.get(call_id)
        return call.reply if call else None

    def undelivered(self) -> list[ToolReply]:
        """Results finished but not yet delivered (e.g. while disconnected), oldest call first."""
        return [c.reply for c in self._calls.values() if c.state is CallState.DONE and c.reply]

    def running(self) -> list[str]:
        """Call ids still executing: while any is blocking, this is no safe point to reconnect."""
        return [call_id for call_id, c in self._calls.items() if c.state is CallState.RUNNING]

    def _trim(self) -> None:
        settled = [k for k, c in self._calls.items() if c.state in (CallState.DELIVERED, CallState.CANCELLED)]
        for call_id in settled[: max(0, len(settled) - self.max_settled)]:
            del self._calls[call_id]

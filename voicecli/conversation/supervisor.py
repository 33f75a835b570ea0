"""The tool supervisor: starts, answers and cancels the model's tool calls for the active agent.

Call ids are deduped by the ``CallLedger`` it shares with the agents' tool runtimes: a call still
running is not started again; one that finished is answered again from its stored outcome (a
resumed session may ask again) without running, counting or logging it twice. A call the
conversation answers itself (a transfer to another agent) goes through the same ledger.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from voicecli import events as ev
from voicecli.tools.runtime import ToolOutcome

if TYPE_CHECKING:
    from voicecli.recorder import Recorder
    from voicecli.store.records import ToolStatus
    from voicecli.tools import ToolRuntime

# A call the conversation answers itself: returns the response, or None when it is a real tool.
SelfAnswered = Callable[[ev.ToolCallEvent], dict[str, Any] | None]


class ToolSupervisor:
    def __init__(  # noqa: PLR0917 - the supervisor's collaborators, each used once
        self,
        runtime: ToolRuntime,
        *,
        notify: Callable[[object], None],
        recorder: Recorder,
        send: Callable[[ev.ToolReply], Awaitable[None]],
        on_change: Callable[[], None],
        on_ran: Callable[[ToolOutcome], None] = lambda outcome: None,
        self_answered: SelfAnswered = lambda call: None,
    ) -> None:
        self.runtime = runtime
        self.calls = runtime.calls
        self._notify = notify
        self._recorder = recorder
        self._send = send
        self._on_change = on_change
        self._on_ran = on_ran
        self._self_answered = self_answered
        self._running: dict[str, tuple[ev.ToolCallEvent, asyncio.Task[None]]] = {}
        self._group: asyncio.TaskGroup | None = None

    def attach(self, group: asyncio.TaskGroup) -> None:
        self._group = group

    def switch_to(self, runtime: ToolRuntime) -> None:
        """Another agent is active: its tools answer from now on (the ledger stays the same)."""
        self.runtime = runtime

    @property
    def busy(self) -> bool:
        return bool(self._running)

    def blocking_pending(self) -> bool:
        """A call the model waits for is running (a non-blocking one lets the conversation go on)."""
        for call, _ in self._running.values():
            spec = self.runtime.persona.tool(call.name)
            if spec is None or spec.behavior != "non_blocking":
                return True
        return False

    def start(self, call: ev.ToolCallEvent) -> None:
        state = self.calls.state(call.call_id)
        if state == "running" or call.call_id in self._running:
            return  # already running: a call id runs at most once
        self._notify(call)
        if state == "done":  # asked again after a resume: the stored answer, nothing run or logged
            self._spawn(call, self._answer_again(call))
            return
        response = self._self_answered(call)
        self._recorder.tool_started(call)
        if response is not None:
            outcome = ToolOutcome(call.call_id, call.name, "error" not in response, response, 0.0)
            self.calls.record(call.call_id, outcome)
            self._spawn(call, self._finish(call, outcome))
            return
        self._spawn(call, self._run(call))

    def cancel(self, call_id: str) -> None:
        running = self._running.pop(call_id, None)
        if running is None:
            return
        call, task = running
        task.cancel()
        self._notify(ev.Notice(f"{call.name} cancelled: the user spoke over the agent"))
        self._recorder.tool_cancelled(call_id)

    def cancel_all(self) -> None:
        for _, task in self._running.values():
            task.cancel()

    def _spawn(self, call: ev.ToolCallEvent, work: Awaitable[None]) -> None:
        assert self._group is not None, "attach() the supervisor to the conversation's task group first"

        async def supervised() -> None:
            try:
                await work
            finally:
                self._running.pop(call.call_id, None)
                self._on_change()

        self._running[call.call_id] = (call, self._group.create_task(supervised()))

    async def _run(self, call: ev.ToolCallEvent) -> None:
        runtime = self.runtime
        try:
            outcome, _ = await self.calls.run(call.call_id, lambda: runtime.execute(call.call_id, call.name, call.args),
                                              name=f"tool {call.name} {call.call_id}")
        except asyncio.CancelledError:
            self._recorder.tool_cancelled(call.call_id)
            raise
        self._on_ran(outcome)  # counted once: a call answered again never gets here
        await self._finish(call, outcome)

    async def _finish(self, call: ev.ToolCallEvent, outcome: ToolOutcome) -> None:
        self._notify(ev.ToolResultEvent(call.call_id, call.name, outcome.response, outcome.ok, outcome.seconds))
        self._recorder.tool_finished(call.call_id, outcome.response, outcome.ok, outcome.seconds,
                                     _tool_status(outcome.ok, outcome.response))
        await self._reply(call, outcome)

    async def _answer_again(self, call: ev.ToolCallEvent) -> None:
        outcome = self.calls.outcome(call.call_id)
        assert outcome is not None
        self._notify(ev.ToolResultEvent(call.call_id, call.name, outcome.response, outcome.ok, outcome.seconds))
        await self._reply(call, outcome)

    async def _reply(self, call: ev.ToolCallEvent, outcome: ToolOutcome) -> None:
        spec = self.runtime.persona.tool(call.name)
        scheduling = "WHEN_IDLE" if spec is not None and spec.behavior == "non_blocking" else None
        await self._send(ev.ToolReply(call.call_id, call.name, outcome.response, scheduling))


def _tool_status(ok: bool, response: dict[str, Any]) -> ToolStatus:
    if ok:
        return "done"
    error = response.get("error")
    return "timeout" if isinstance(error, dict) and error.get("type") == "timeout" else "error"

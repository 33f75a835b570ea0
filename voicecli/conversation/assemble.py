"""The one place a conversation is wired to the Live service: used by ``talk`` and the end-to-end harness.

``assemble`` builds the ``Conversation`` and its ``Link``. The link keeps the active agent connected:
one ``LiveConnection`` (resumption, replay, GoAway, reconnects) per agent session; at a handoff it
ends the previous agent's session cleanly (its reply has finished) and opens the target's, with the
target's own system instruction, tools, voice and language and the handoff's seed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from voicecli import events as ev
from voicecli.agent import Conversation, Sink
from voicecli.guards.settings import GuardSettings
from voicecli.live.config import build_live_config, model_for, setup_notices
from voicecli.live.models import capabilities

if TYPE_CHECKING:
    from voicecli.live.backoff import Backoff
    from voicecli.live.config import TalkSettings
    from voicecli.live.connection import LiveConnection
    from voicecli.outgoing import OutgoingQueue
    from voicecli.persona import Handoff, Persona
    from voicecli.recorder import Recorder
    from voicecli.tools import ToolRuntime

# (persona, resumption handle, context) for every setup the link builds: a test's view of the sessions.
SetupTap = Callable[["Persona", "str | None", "str | None"], None]


class Link:
    """Runs the active agent's Live connection until cancelled; moves to the next agent at a handoff."""

    def __init__(self, client: Any, settings: TalkSettings, *, backoff: Backoff | None = None,
                 on_event: Callable[[object], None] | None = None, on_setup: SetupTap | None = None) -> None:
        self._client = client
        self._settings = settings
        self._backoff = backoff
        self._on_event = on_event
        self._on_setup = on_setup
        self.connections: list[LiveConnection] = []  # one per agent session, in order

    @property
    def connection(self) -> LiveConnection | None:
        """The active agent's connection."""
        return self.connections[-1] if self.connections else None

    async def run(self, conversation: Conversation) -> None:
        while True:
            session = asyncio.ensure_future(self._connection_for(conversation).run())
            switch = asyncio.ensure_future(conversation.switch_due.wait())
            try:
                await asyncio.wait({session, switch}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                switch.cancel()
                if not session.done():
                    # The transferring agent's reply is over: leaving the SDK's context closes its
                    # session cleanly. Also reached when the conversation ends (this task cancelled).
                    session.cancel()
                    await asyncio.wait({session})
            if session.cancelled():  # cancelled above, for the handoff
                conversation.take_over()
                continue
            session.result()  # the connection gave up for good: its error ends the conversation
            return

    def _connection_for(self, conversation: Conversation) -> LiveConnection:
        from voicecli.live.connection import LiveConnection

        persona, settings = conversation.persona, self._settings
        if self.connections:  # a new agent: what its model changes in its setup, said once
            for text in setup_notices(persona, settings):
                conversation.on_connection_event(ev.Notice(text, "warning"))

        def config_for(handle: str | None, context: str | None) -> Any:
            if self._on_setup is not None:
                self._on_setup(persona, handle, context)
            return build_live_config(persona, replace(settings, resumption_handle=handle,
                                                      extra_context=conversation.instruction_context(context)))

        on_event = conversation.on_server_event
        if self._on_event is not None:
            tap = self._on_event

            def on_event(event: Any) -> None:
                conversation.on_server_event(event)
                tap(event)

        model = model_for(persona, settings)
        row = capabilities(model)
        connection = LiveConnection(
            self._client, model, config_for, conversation.outgoing, on_event,
            conversation.on_connection_event, transparent=settings.backend == "vertex",
            at_safe_point=conversation.at_safe_point, context_summary=conversation.context_summary,
            backoff=self._backoff, turns=conversation.turns, on_sent=conversation.on_sent,
            # Typed text goes the way the model takes it mid-session; an unknown model gets client content.
            text_via=row.text_input if row is not None else "client_content",
        )
        conversation.attach_connection(connection, model)
        self.connections.append(connection)
        return connection


def assemble(  # noqa: PLR0913 - the wiring's inputs, each a keyword
    *,
    persona: Persona,
    settings: TalkSettings,
    client: Any,  # the SDK client (voicecli.live.backends.make_client)
    sink: Sink,
    notify: Callable[[object], None],
    tools: ToolRuntime | None = None,
    recorder: Recorder | None = None,
    greeting: bool = True,
    outgoing: OutgoingQueue | None = None,
    backoff: Backoff | None = None,
    on_event: Callable[[object], None] | None = None,
    on_setup: SetupTap | None = None,
    clock: Callable[[], float] = time.monotonic,
    guards: GuardSettings | None = None,
    load_target: Callable[[Persona, Handoff], Persona] | None = None,
) -> tuple[Conversation, Link]:
    """A conversation with ``persona`` over ``client``, and the link that connects it (``link.run``).

    ``outgoing`` replaces the outgoing queue (a test's tapped queue); ``on_event`` sees each server
    event after the conversation handled it; ``on_setup`` sees each session setup the link builds.
    ``guards`` chooses the guards (docs/guards.md); all on by default. ``load_target`` loads a handoff's
    target (default: ``load_handoff_target``; talk's also opens the target's MCP tools).
    """
    from voicecli.tools import ToolRuntime

    conversation = Conversation(persona=persona, tools=tools or ToolRuntime(persona), sink=sink, notify=notify,
                                recorder=recorder, greeting=greeting, clock=clock, guards=guards,
                                load_target=load_target)
    if outgoing is not None:
        conversation.outgoing = outgoing
    return conversation, Link(client, settings, backoff=backoff, on_event=on_event, on_setup=on_setup)

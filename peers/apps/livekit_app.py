"""A minimal desktop voice app on LiveKit Agents: the agents console + the Google realtime plugin.

`python livekit_app.py console` runs the agent in-process on the default microphone and speaker, as
LiveKit's console mode does, with no LiveKit server. Configured only through what LiveKit exposes:
the plugin's `RealtimeModel` with its defaults (model, voice, server-side turn detection) and the
API key, one `function_tool`, and the session's own events. The plugin reads its key from
`GOOGLE_API_KEY` only, so the key `voicecli emulator` prints as GEMINI_API_KEY is passed as
`api_key`; the Google client inside reads its endpoint and trust store from the environment
(GOOGLE_GEMINI_BASE_URL, SSL_CERT_FILE). Runs in LiveKit's own virtual environment; reports
through `appkit`.
"""

from __future__ import annotations

import asyncio
import os
from importlib.metadata import version
from typing import Any

from appkit import GREETING, INSTRUCTION, emit, read_commands, thermostat_result
from livekit.agents import Agent, AgentServer, AgentSession, JobContext, RunContext, cli, function_tool
from livekit.plugins import google

server = AgentServer()


class Sam(Agent):
    def __init__(self, model: google.realtime.RealtimeModel) -> None:
        super().__init__(instructions=INSTRUCTION, llm=model)

    @function_tool
    async def set_thermostat(self, context: RunContext, temperature: float) -> dict[str, Any]:
        """Set the thermostat to a temperature in degrees.

        Args:
            temperature: The temperature to set, in degrees.
        """
        return thermostat_result({"temperature": temperature})


@server.rtc_session()
async def entrypoint(ctx: JobContext) -> None:
    model = google.realtime.RealtimeModel(api_key=os.environ["GEMINI_API_KEY"])
    session: AgentSession = AgentSession()
    loop = asyncio.get_running_loop()

    @session.on("agent_state_changed")
    def _state(event: Any) -> None:
        if event.new_state == "speaking":
            emit("agent_audio")
        elif event.old_state == "speaking":
            emit("agent_done")

    @session.on("user_input_transcribed")
    def _heard(event: Any) -> None:
        if event.is_final:
            emit("user_transcript", text=event.transcript)

    @session.on("conversation_item_added")
    def _item(event: Any) -> None:
        item = event.item
        if getattr(item, "role", None) == "assistant":
            emit("agent_transcript", text=item.text_content or "")
            if item.interrupted:
                emit("interrupted")

    def typed(text: str) -> None:
        loop.call_soon_threadsafe(lambda: session.generate_reply(user_input=text))

    def quit_app() -> None:
        loop.call_soon_threadsafe(lambda: ctx.shutdown("quit"))

    emit("started", framework="livekit", version=version("livekit-agents"),
         plugin=version("livekit-plugins-google"), model=model.model)
    await session.start(agent=Sam(model), room=ctx.room)
    read_commands(typed, quit_app)
    session.generate_reply(instructions=GREETING)


if __name__ == "__main__":
    cli.run_app(server)

"""A minimal desktop voice app on pipecat: local audio transport + its Gemini Live service.

Configured only through what pipecat exposes: the API key from the environment, the service's
defaults (model, voice, server-side turn detection) and one declared function. The Google client
inside the service reads its endpoint and trust store from the environment that `voicecli
emulator` prints (GOOGLE_GEMINI_BASE_URL, SSL_CERT_FILE), as any google-genai app does.
Runs in pipecat's own virtual environment; reports through `appkit` (JSON lines on stdout).
"""

from __future__ import annotations

import asyncio
import os
from importlib.metadata import version

from appkit import (
    GREETING,
    INSTRUCTION,
    TOOL_DESCRIPTION,
    TOOL_NAME,
    TOOL_PROPERTIES,
    TOOL_REQUIRED,
    emit,
    read_commands,
    thermostat_result,
)
from pipecat.adapters.llm.schemas.function_schema import FunctionSchema
from pipecat.frames.frames import (
    EndFrame,
    InputTextRawFrame,
    InterruptionFrame,
    LLMRunFrame,
    TranscriptionFrame,
    TTSAudioRawFrame,
    TTSStartedFrame,
    TTSStoppedFrame,
    TTSTextFrame,
)
from pipecat.observers.base_observer import BaseObserver, FramePushed
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineWorker
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.aggregators.llm_response_universal import LLMContextAggregatorPair
from pipecat.services.google.gemini_live.llm import GeminiLiveLLMService
from pipecat.services.llm_service import FunctionCallParams
from pipecat.transports.local.audio import LocalAudioTransport, LocalAudioTransportParams
from pipecat.workers.runner import WorkerRunner


class Reporter(BaseObserver):
    """Reports what the pipeline carries, once per frame."""

    def __init__(self) -> None:
        super().__init__(observe_every_push=False)
        self._reply_started = False

    async def on_push_frame(self, data: FramePushed) -> None:
        frame = data.frame
        if isinstance(frame, TTSStartedFrame):
            self._reply_started = True
        elif isinstance(frame, TTSAudioRawFrame) and self._reply_started:
            self._reply_started = False  # the first audio of a reply
            emit("agent_audio", bytes=len(frame.audio), rate=frame.sample_rate)
        elif isinstance(frame, TTSStoppedFrame):
            emit("agent_done")
        elif isinstance(frame, TTSTextFrame):
            emit("agent_transcript", text=frame.text)
        elif isinstance(frame, TranscriptionFrame):
            emit("user_transcript", text=frame.text)
        elif isinstance(frame, InterruptionFrame):
            emit("interrupted")


async def set_thermostat(params: FunctionCallParams) -> None:
    await params.result_callback(thermostat_result(dict(params.arguments)))


async def main() -> None:
    transport = LocalAudioTransport(LocalAudioTransportParams(audio_in_enabled=True, audio_out_enabled=True))
    tool = FunctionSchema(name=TOOL_NAME, description=TOOL_DESCRIPTION, properties=TOOL_PROPERTIES,
                          required=TOOL_REQUIRED, handler=set_thermostat)
    llm = GeminiLiveLLMService(api_key=os.environ["GEMINI_API_KEY"], system_instruction=INSTRUCTION, tools=[tool])
    context = LLMContext([{"role": "user", "content": GREETING}])
    user, assistant = LLMContextAggregatorPair(context)
    pipeline = Pipeline([transport.input(), user, llm, transport.output(), assistant])
    worker = PipelineWorker(pipeline, observers=[Reporter()], idle_timeout_secs=None)
    loop = asyncio.get_running_loop()

    def typed(text: str) -> None:  # typed input goes into the realtime stream, beside the microphone's
        asyncio.run_coroutine_threadsafe(worker.queue_frame(InputTextRawFrame(text=text)), loop)

    def quit_app() -> None:
        asyncio.run_coroutine_threadsafe(worker.queue_frame(EndFrame()), loop)

    emit("started", framework="pipecat", version=version("pipecat-ai"))
    await worker.queue_frame(LLMRunFrame())  # the bot answers the opening request
    read_commands(typed, quit_app)
    runner = WorkerRunner(handle_sigint=False)
    await runner.add_workers(worker)
    await runner.run()


if __name__ == "__main__":
    asyncio.run(main())

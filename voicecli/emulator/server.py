"""The emulator server: TLS (or plain) WebSocket on loopback, routing, upgrade refusals, the control surface."""

from __future__ import annotations

import asyncio
import itertools
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from voicecli.emulator.connection import Connection, EmulatorConnection, Shared
from voicecli.emulator.faults import Faults
from voicecli.emulator.heap import GarbagePolicy
from voicecli.emulator.options import EmulatorOptions, route_request
from voicecli.emulator.recognition import Recognition
from voicecli.emulator.records import Recorder, client_texts
from voicecli.emulator.scenario import Scenario, load_scenario
from voicecli.emulator.session import SessionStore
from voicecli.emulator.tls import TlsFiles, ensure_tls_files

PLACEHOLDER_KEY = "emulator-key"
_STATUS_TEXT = {
    401: "Request had invalid authentication credentials.",
    403: "The caller does not have permission.",
    404: "Not Found",
    429: "Resource has been exhausted (e.g. check quota).",
    500: "Internal error encountered.",
    503: "The service is currently unavailable.",
}


class Emulator:
    """The local Live service. ``async with Emulator(ca_dir=...) as emu:`` serves until exit.

    ``scenario`` (a file or a loaded Scenario) scripts the agent side; without one, the generic brain
    answers from each session's system instruction and tools. Options are those of
    :class:`EmulatorOptions` (``speed``, ``lifetime_s``, ``recognition``, ``valid_keys``, ...).
    ``faults`` is the fault control API, ``record`` the list of frame records and ``startup_lines()``
    what it says about itself (brain, speech recognition).
    """

    def __init__(
        self,
        *,
        ca_dir: Path,
        scenario: Scenario | Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        record_file: Path | None = None,
        faults: Faults | None = None,
        options: EmulatorOptions | None = None,
        tls: bool = True,
        **option_values: Any,
    ) -> None:
        self.options = options or EmulatorOptions(**option_values)
        if options is not None and option_values:
            raise TypeError("pass either options= or option keywords, not both")
        self.scenario = scenario if isinstance(scenario, Scenario) or scenario is None else load_scenario(scenario)
        self.recognition = Recognition.load(enabled=self.options.recognition,
                                            loader=self.options.recognition_loader)
        self.faults = faults or Faults()
        self.host = host
        self.tls = tls  # False: plain ws:// (loopback clients that connect directly; see docs/emulator.md)
        self._requested_port = port
        self._ca_dir = ca_dir
        self._recorder = Recorder(record_file, keep=self.options.keep_records)
        self._store = SessionStore(self.options.handle_ttl_s)
        self._ids = itertools.count(1)
        self._server: Server | None = None
        self._tls: TlsFiles | None = None
        self._warm_up: threading.Thread | None = None
        self._heap = GarbagePolicy(enabled=self.options.own_process)
        self.port = 0

    # ---- public surface ---------------------------------------------------------------------

    def startup_lines(self) -> list[str]:
        """What this emulator answers with and whether it understands speech (for start-up output)."""
        if self.scenario is None:
            brain = "brain: generic (follows each session's system instruction and declared tools)"
        else:
            brain = f"brain: scenario {self.scenario.name} (steps in order, whatever is said)"
        return [brain, self.recognition.line]

    def warm_up_recognition(self) -> None:
        """Load the recognition model now, on a thread of its own, rather than during the first user turn."""
        if self.recognition.available and self._warm_up is None:
            self._warm_up = threading.Thread(target=self.recognition.warm_up, name="emulator-warm-up")
            self._warm_up.start()

    @property
    def record(self) -> list[dict[str, Any]]:
        return self._recorder.records

    def client_texts(self, *, notes_only: bool = False) -> list[dict[str, Any]]:
        """Each client text received so far, every connection, in order (``records.client_texts``)."""
        return client_texts(self._recorder.records, notes_only=notes_only)

    @property
    def base_url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        """The WebSocket origin (``wss://`` or, without TLS, ``ws://``) for clients that connect directly."""
        return f"{'wss' if self.tls else 'ws'}://{self.host}:{self.port}"

    @property
    def ca_file(self) -> Path:
        if self._tls is None:
            raise RuntimeError("the emulator is not started")
        return self._tls.ca_file

    def env(self, api_key: str | None = None) -> dict[str, str]:
        """Environment that points an unmodified google-genai app at this emulator (docs/emulator.md).

        The key is ``api_key``, else one the emulator accepts. The Vertex URL is the whole endpoint with
        that key in its query, ending in an empty parameter, because google-genai uses it two ways: with
        project and location from the environment it connects to the URL as given and sends no
        credentials (the query key serves), otherwise it appends the endpoint path, which lands in that
        last parameter and is ignored.
        """
        from urllib.parse import urlencode

        if api_key is None:
            api_key = min(self.options.valid_keys) if self.options.valid_keys else PLACEHOLDER_KEY
        # A wildcard address is reached on loopback, which the emulator's certificate names.
        host = "127.0.0.1" if self.host in {"0.0.0.0", "::", ""} else self.host
        ws, http = ("wss", "https") if self.tls else ("ws", "http")
        endpoint = f"{ws}://{host}:{self.port}/ws/google.cloud.aiplatform.v1beta1.LlmBidiService/BidiGenerateContent"
        env = {
            "GOOGLE_GEMINI_BASE_URL": f"{http}://{host}:{self.port}",
            "GOOGLE_VERTEX_BASE_URL": f"{endpoint}?{urlencode({'key': api_key})}&ignored=",
            "SSL_CERT_FILE": str(self.ca_file) if self.tls else "",
            "GEMINI_API_KEY": api_key,
        }
        return {name: value for name, value in env.items() if value}

    def client_ssl_context(self) -> Any:
        """A verifying SSL context trusting the emulator's CA (for ``async_client_args={"ssl": ...}``).

        None when serving plain ``ws://``.
        """
        if not self.tls:
            return None
        if self._tls is None:
            raise RuntimeError("the emulator is not started")
        return self._tls.client_context()

    async def start(self) -> None:
        if self.tls:
            self._tls = await asyncio.to_thread(ensure_tls_files, self._ca_dir)
        shared = Shared(options=self.options, scenario=self.scenario, store=self._store,
                        recorder=self._recorder, faults=self.faults, synth_lock=asyncio.Lock(),
                        recognition=self.recognition)

        async def handler(ws: ServerConnection) -> None:
            assert isinstance(ws, EmulatorConnection)
            try:
                await Connection(ws, ws.id_number, shared).run()
            finally:
                self._heap.connection_closed()

        self._server = await serve(
            handler, self.host, self._requested_port, ssl=self._tls.server_context() if self._tls else None,
            process_request=self._process_request, create_connection=_numbered(self._ids),
            max_size=16 * 2**20, compression=None,
        )
        sockets = list(self._server.sockets)
        self.port = int(sockets[0].getsockname()[1])
        self._heap.settle()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        self._heap.close()
        # The recogniser's native threads must not be torn down mid-load or mid-pass: let them finish.
        if self._warm_up is not None:
            await asyncio.to_thread(self._warm_up.join)
        await asyncio.to_thread(self.recognition.wait_idle)
        self._recorder.close()

    async def serve_forever(self) -> None:
        if self._server is None:
            await self.start()
        assert self._server is not None
        await self._server.serve_forever()

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()

    # ---- the upgrade ------------------------------------------------------------------------

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        assert isinstance(connection, EmulatorConnection)
        connection.pong_delay_s = self.faults.pong_delay_s
        refusal = self.faults.take_refusal()
        if refusal is not None:
            return _refuse(connection, refusal, request.path)
        route = route_request(request.path, request.headers)
        if route is None:
            return _refuse(connection, 404, request.path)
        if route.vertex and not route.api_key:
            valid = self.options.valid_keys
            if not route.bearer or (valid is not None and route.bearer not in valid):
                return _refuse(connection, 401, request.path)
        connection.route = route
        return None


def _refuse(connection: ServerConnection, status: int, path: str) -> Response:
    response = connection.respond(status, _STATUS_TEXT.get(status, "Refused") + "\n")
    response.headers = Headers({**dict(response.headers.raw_items()), "Content-Type": "text/plain"})
    return response


def _numbered(ids: itertools.count[int]) -> Any:
    """A connection factory that gives each connection a small id for records."""

    def create(*args: Any, **kwargs: Any) -> EmulatorConnection:
        connection = EmulatorConnection(*args, **kwargs)
        connection.id_number = next(ids)
        return connection

    return create

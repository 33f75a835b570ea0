"""``voicecli emulator``: serve the local Live emulator and print the lines that point an SDK app at it."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

import typer

from voicecli.cli.main import app
from voicecli.errors import UsageError
from voicecli.paths import data_dir

# The leaf certificate names 127.0.0.1 and localhost; 0.0.0.0 listens everywhere and is reached on 127.0.0.1.
SERVED_HOSTS = ("127.0.0.1", "localhost", "0.0.0.0")


def printed_lines(env: dict[str, str]) -> str:
    """The shell lines that point a google-genai app at the emulator; docs/emulator.md lists who they serve."""
    lines = [f"export {name}={shlex.quote(value)}" for name, value in env.items()]
    # The SDK prefers GOOGLE_API_KEY to GEMINI_API_KEY: a real key left in the shell would be sent instead.
    lines.append("unset GOOGLE_API_KEY")
    lines += [
        "# An app that calls genai.Client() without vertexai=True, on Vertex AI by GOOGLE_GENAI_USE_VERTEXAI",
        "# with GOOGLE_CLOUD_PROJECT and GOOGLE_CLOUD_LOCATION set, reads the Gemini URL instead; for it, also:",
        '#   export GOOGLE_GEMINI_BASE_URL="$GOOGLE_VERTEX_BASE_URL"',
    ]
    return "\n".join(lines)


def parse_stall(value: str) -> tuple[int, str]:
    """``VARIANT:N`` (or ``VARIANT`` alone, one turn) -> (N, VARIANT) for ``Faults.stall``; UsageError if bad."""
    from voicecli.emulator.faults import STALL_VARIANTS

    variant, colon, count = value.partition(":")
    hint = f"--stall VARIANT:N, VARIANT one of {', '.join(STALL_VARIANTS)}, N a whole number >= 0"
    if variant not in STALL_VARIANTS:
        raise UsageError(f"unknown stall variant {variant!r} in --stall {value}", hint=hint)
    if not colon:
        return 1, variant
    if not count.isdigit():
        raise UsageError(f"--stall {value} needs a whole number of turns after the colon, not {count!r}", hint=hint)
    return int(count), variant


DEVELOPER_PATH = "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent"
VERTEX_PATH = "/ws/google.cloud.aiplatform.v1beta1.LlmBidiService/BidiGenerateContent"


def plain_lines(ws_url: str, api_key: str) -> str:
    """With --plain: the endpoints for clients that open the WebSocket themselves.

    google-genai cannot use them: it always hands websockets an SSL context, which a ws:// URL refuses.
    """
    key = urlencode({"key": api_key})
    return "\n".join([
        "# plain ws:// without TLS, for clients that open the WebSocket themselves; google-genai apps need",
        "# TLS (the SDK always passes an SSL context, which a ws:// URL refuses): run without --plain for them.",
        f"export EMULATOR_DEVELOPER_URL={shlex.quote(f'{ws_url}{DEVELOPER_PATH}?{key}')}",
        f"export EMULATOR_VERTEX_URL={shlex.quote(f'{ws_url}{VERTEX_PATH}?{key}')}",
        f"export GEMINI_API_KEY={shlex.quote(api_key)}",
    ])


@app.command("emulator")
def emulator(  # noqa: PLR0917 (Typer maps each option to a parameter)
    host: Annotated[str, typer.Option(help="Address to listen on: 127.0.0.1, localhost or 0.0.0.0.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0 picks a free one).")] = 0,
    scenario: Annotated[Path | None, typer.Option(
        help="Scenario YAML that scripts the agent (default: the generic brain follows each session's "
             "instruction and tools).")] = None,
    no_recognition: Annotated[bool, typer.Option(
        "--no-recognition", help="Do not recognise speech (audio turns are not understood).")] = False,
    speed: Annotated[float, typer.Option(help="Speech pacing: 1 real time, 0 fastest.")] = 1.0,
    record: Annotated[Path | None, typer.Option(help="Write every frame in and out as JSON lines.")] = None,
    lifetime: Annotated[float, typer.Option(help="Connection lifetime in seconds.")] = 600.0,
    go_away_lead: Annotated[float, typer.Option(help="Seconds of goAway notice before the end.")] = 60.0,
    handle_ttl: Annotated[float, typer.Option(help="Resumption handle validity in seconds.")] = 7200.0,
    api_key: Annotated[list[str] | None, typer.Option(
        "--api-key", help="Accept only these keys/tokens (repeatable; default: any).")] = None,
    drop_after: Annotated[int | None, typer.Option(help="Fault: cut TCP after N client frames.")] = None,
    delay_ms: Annotated[float, typer.Option(help="Fault: delay every server frame (ms).")] = 0.0,
    jitter_ms: Annotated[float, typer.Option(help="Fault: extra random delay up to this (ms).")] = 0.0,
    refuse: Annotated[int | None, typer.Option(help="Fault: refuse upgrades with this status.")] = None,
    stall: Annotated[str | None, typer.Option(
        metavar="VARIANT:N", help="Fault: the next N turns of VARIANT get no answer (after_user_turn, "
                                  "after_tool_response, empty_turn_complete).")] = None,
    drift: Annotated[int | None, typer.Option(
        metavar="N", help="Fault: the next N replies come in Spanish.")] = None,
    plain: Annotated[bool, typer.Option(
        "--plain", help="Serve plain ws:// without TLS (loopback clients that connect directly).")] = False,
) -> None:
    """Serve the local Live emulator over TLS (or plain ws:// with --plain) until Ctrl-C."""
    from voicecli.emulator import Emulator, Faults, ScenarioError, load_scenario

    if speed < 0 or lifetime <= 0 or go_away_lead < 0 or handle_ttl <= 0:
        raise UsageError("--speed, --go-away-lead must be >= 0; --lifetime and --handle-ttl > 0")
    if host not in SERVED_HOSTS:
        raise UsageError(
            f"--host {host}: the emulator's certificate names only 127.0.0.1 and localhost",
            hint="use 127.0.0.1, localhost, or 0.0.0.0 (all interfaces; the printed lines use 127.0.0.1)",
        )
    if plain and host == "0.0.0.0":
        raise UsageError("--plain serves only on loopback, without TLS", hint="use --host 127.0.0.1 or localhost")
    try:
        loaded = load_scenario(scenario) if scenario is not None else None
    except ScenarioError as error:
        raise UsageError(str(error), hint="See docs/scenarios.md for the format.") from None
    faults = Faults(drop_after_client_frames=drop_after, delay_ms=delay_ms, jitter_ms=jitter_ms)
    if refuse is not None:
        faults.refuse(refuse, times=-1)
    if stall is not None:
        faults.stall(*parse_stall(stall))
    if drift is not None:
        if drift < 0:
            raise UsageError(f"--drift {drift} is negative: give the number of replies to drift, 0 or more")
        faults.drift(drift)
    server = Emulator(
        ca_dir=data_dir() / "emulator-ca", scenario=loaded, host=host, port=port, record_file=record,
        faults=faults, speed=speed, lifetime_s=lifetime, go_away_lead_s=go_away_lead,
        handle_ttl_s=handle_ttl, valid_keys=frozenset(api_key) if api_key else None,
        keep_records=False, recognition=not no_recognition, tls=not plain, own_process=True,
    )

    async def serve() -> None:
        try:
            await server.start()
        except OSError as error:
            raise UsageError(f"cannot listen on {host}:{port}: {error.strerror}") from None
        print(f"# voicecli emulator serving {server.ws_url if plain else server.base_url}; Ctrl-C stops it")
        for line in server.startup_lines():
            print(f"# {line}")
        env = server.env(api_key[0] if api_key else None)
        print(plain_lines(server.ws_url, env["GEMINI_API_KEY"]) if plain else printed_lines(env), flush=True)
        server.warm_up_recognition()
        try:
            await server.serve_forever()
        finally:
            await server.stop()

    try:
        import asyncio

        asyncio.run(serve())
    except KeyboardInterrupt:
        raise typer.Exit(0) from None

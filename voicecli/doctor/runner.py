"""Runs the checks in order, hands facts from one group to the next, and keeps every line safe to show.

A check that breaks in an unforeseen way becomes one failed line, never a traceback; every line is
scrubbed of key values before anyone sees it.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from voicecli.doctor import account, extras, install, model, service, sound, storage
from voicecli.doctor.check import Check, failed, warned
from voicecli.live.backends import Backend
from voicecli.live.probe import DEFAULT_TIMEOUT_S
from voicecli.store.redact import redact

OnCheck = Callable[[Check], None]


@dataclass(frozen=True)
class DoctorOptions:
    offline: bool = False
    backend: Backend | None = None
    model: str | None = None
    persona: str = "laura"
    input_device: str | None = None
    output_device: str | None = None
    audio: bool = True  # False: only what a scripted talk (--input/--say with --output) needs
    tone: bool = False
    timeout_s: float = DEFAULT_TIMEOUT_S


async def run_doctor(options: DoctorOptions, env: Mapping[str, str] | None = None,
                     on_check: OnCheck | None = None) -> list[Check]:
    """Every check, in the order shown; ``on_check`` sees each one as soon as it is known.

    ``env`` is where credentials are read (default ``os.environ``); the SDK itself always reads
    ``os.environ`` for base URLs and ``SSL_CERT_FILE``.
    """
    env = os.environ if env is None else env
    # Short values would mangle ordinary words; real keys are 39 characters.
    secrets = [env[name] for name in account.KEY_VARIABLES if len(env.get(name, "")) >= 6]
    checks: list[Check] = []

    def add(*found: Check | None) -> None:
        for check in found:
            if check is None:
                continue
            shown = _scrubbed(check, secrets)
            checks.append(shown)
            if on_check is not None:
                on_check(shown)

    add(_guard("python", install.python_check), _guard("packages", install.packages_check))
    if options.audio:
        add(*await _guard_async("sound", lambda: sound.sound_checks(
            options.input_device, options.output_device, env, play_tone=options.tone)))
    add(_guard("espeak-ng", lambda: extras.espeak_check(needed=options.offline)),
        _guard("speech recognition", extras.recognition_check))
    data_check, data_path = _guard_pair("data directory", storage.data_dir_check)
    persona_check, persona = _guard_pair("persona", lambda: model.persona_check(options.persona))
    add(data_check, persona_check)

    credentials, found = _guard_pair("credentials", lambda: account.credentials_check(
        env, options.backend, offline=options.offline))
    backend: Backend = "vertex" if account.wants_vertex(env, options.backend) else "developer"
    add(credentials)
    if found is not None and found.creds is not None:
        if found.creds.backend == "vertex" and not found.creds.api_key:
            add(_guard("google sign-in", lambda: account.adc_check(env)))
        add(_guard("endpoint", lambda: account.endpoint_check(env, backend)))
    chosen = model.chosen_model(options.model, persona, backend)
    add(_guard("model", lambda: model.model_check(chosen, backend)))

    async def handshake() -> Check:
        return await _handshake(options, backend=backend, chosen=chosen, persona=persona, found=found,
                                data_path=data_path)

    add(*await _guard_async(service.NAME, lambda: _one(handshake())))
    return checks


async def _handshake(options: DoctorOptions, *, backend: Backend, chosen: str, persona: Any,
                     found: account.Found | None, data_path: Any) -> Check:
    config = _talk_config(persona, backend, chosen)
    if options.offline:
        if data_path is None:
            return warned(service.NAME, "not tried: the emulator keeps its certificates in the data directory, "
                          "which does not work (see above)", "fix the data directory first")
        async with service.emulator_credentials(data_path, backend) as creds:
            return await service.handshake_check(creds, chosen, config, key_variable=None,
                                                 timeout_s=options.timeout_s)
    if found is None or found.creds is None:
        return warned(service.NAME, "not tried: no credentials (see above)",
                      "set credentials, or check the emulator path with --offline")
    return await service.handshake_check(found.creds, chosen, config, key_variable=found.key_variable,
                                         timeout_s=options.timeout_s)


def _talk_config(persona: Any, backend: Backend, chosen: str) -> Any:
    """The setup talk would send for this persona, so the handshake also checks the model accepts it."""
    if persona is None:
        return None
    from voicecli.live.config import TalkSettings, build_live_config

    return build_live_config(persona, TalkSettings(backend=backend, model=chosen))


async def _one(check: Awaitable[Check]) -> list[Check]:
    return [await check]


def _broken(name: str, error: Exception) -> Check:
    return failed(name, f"the check itself failed: {type(error).__name__}: {error}",
                  "this is a bug in voicecli: please report it with this line")


def _guard(name: str, check: Callable[[], Check | None]) -> Check | None:
    try:
        return check()
    except Exception as error:  # one broken check must not hide the others
        return _broken(name, error)


def _guard_pair(name: str, check: Callable[[], tuple[Check, Any]]) -> tuple[Check, Any]:
    try:
        return check()
    except Exception as error:
        return _broken(name, error), None


async def _guard_async(name: str, checks: Callable[[], Awaitable[list[Check]]]) -> list[Check]:
    try:
        return await checks()
    except Exception as error:
        return [_broken(name, error)]


def _scrubbed(check: Check, secrets: list[str]) -> Check:
    def clean(text: str) -> str:
        for secret in secrets:
            text = text.replace(secret, "[key]")
        return redact(text)

    def clean_value(value: Any) -> Any:
        if isinstance(value, str):
            return clean(value)
        if isinstance(value, dict):
            return {key: clean_value(item) for key, item in value.items()}
        if isinstance(value, list):
            return [clean_value(item) for item in value]
        return value

    return replace(check, detail=clean(check.detail), fix=None if check.fix is None else clean(check.fix),
                   data=clean_value(check.data))

"""Listing audio devices and resolving `--input-device` / `--output-device` (index or name substring)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from voicecli.audio.portaudio import audio_error, load_sounddevice, no_devices_error
from voicecli.errors import AudioError

Kind = Literal["input", "output"]


@dataclass(frozen=True)
class DeviceInfo:
    index: int
    name: str
    host_api: str
    input_channels: int
    output_channels: int
    default_rate: int
    default_input: bool
    default_output: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def list_devices() -> list[DeviceInfo]:
    """Every device PortAudio sees; AudioError when PortAudio is missing or there are none."""
    sd = load_sounddevice()
    try:
        raw = list(sd.query_devices())
        apis = [api["name"] for api in sd.query_hostapis()]
        default_in, default_out = sd.default.device
    except sd.PortAudioError as error:
        raise audio_error(error, "list audio devices") from error
    devices = devices_from_query(raw, apis, int(default_in), int(default_out))
    if not devices:
        raise no_devices_error("list audio devices")
    return devices


def devices_from_query(
    raw: Sequence[Mapping[str, Any]], host_apis: Sequence[str], default_in: int, default_out: int
) -> list[DeviceInfo]:
    return [
        DeviceInfo(
            index=int(dev.get("index", position)),
            name=str(dev["name"]),
            host_api=host_apis[int(dev["hostapi"])] if int(dev["hostapi"]) < len(host_apis) else "?",
            input_channels=int(dev["max_input_channels"]),
            output_channels=int(dev["max_output_channels"]),
            default_rate=round(float(dev["default_samplerate"])),
            default_input=int(dev.get("index", position)) == default_in,
            default_output=int(dev.get("index", position)) == default_out,
        )
        for position, dev in enumerate(raw)
    ]


def resolve_device(spec: int | str | None, kind: Kind, devices: Sequence[DeviceInfo]) -> DeviceInfo:
    """The device `spec` names: None for the default, an index, or a case-insensitive name substring."""
    usable = [d for d in devices if (d.input_channels if kind == "input" else d.output_channels) > 0]
    if not usable:
        raise no_devices_error(f"open an audio {kind}")
    if spec is None:
        for device in usable:
            if device.default_input if kind == "input" else device.default_output:
                return device
        return usable[0]
    if isinstance(spec, int) or spec.strip().isdigit():
        index = int(spec)
        for device in usable:
            if device.index == index:
                return device
        raise AudioError(f"no {kind} device with index {index}", hint=_listing_hint(usable))
    wanted = spec.strip().lower()
    exact = [d for d in usable if d.name.lower() == wanted]
    if exact:
        return exact[0]
    matches = [d for d in usable if wanted in d.name.lower()]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise AudioError(f"no {kind} device matches {spec!r}", hint=_listing_hint(usable))
    names = ", ".join(f"{d.index}: {d.name}" for d in matches)
    raise AudioError(f"{spec!r} matches several {kind} devices ({names})",
                     hint="use the index or a longer part of the name")


def open_device(spec: int | str | None, kind: Kind) -> tuple[Any, DeviceInfo]:
    """Import sounddevice and resolve `spec`; returns the module and the device."""
    sd = load_sounddevice()
    return sd, resolve_device(spec, kind, list_devices())


def _listing_hint(devices: Sequence[DeviceInfo]) -> str:
    return "available: " + ", ".join(f"{d.index}: {d.name}" for d in devices)

"""LocalVad on a labelled set: espeak-ng sentences between silences, clean and with white/pink noise.

Reports, per condition and aggressiveness: speech hit rate (speech frames inside an activity), false
starts (activities with no speech in them) and end-of-speech delay (last speech frame -> ActivityEnd).
Prints figures; asserts nothing.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soxr

from voicecli.audio.levels import dbfs
from voicecli.audio.vad import LocalVad
from voicecli.audio.wav import read_wav
from voicecli.events import FRAME_SAMPLES, ActivityEnd, ActivityStart

SENTENCES = [
    "Could you tell me the weather in Paris tomorrow?",
    "Book a table for two at eight.",
    "Thanks, that is all for now.",
]
GAP_SECONDS = 1.5


def speech_set(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """Audio (16 kHz) and per-frame speech labels (by energy on the clean signal)."""
    parts = [np.zeros(16_000, np.int16)]
    for index, text in enumerate(SENTENCES):
        path = folder / f"s{index}.wav"
        subprocess.run(["espeak-ng", "-w", str(path), text], check=True, capture_output=True)
        samples, rate, _ = read_wav(path)
        parts += [np.asarray(soxr.resample(samples, rate, 16_000, quality="HQ"), dtype=np.int16),
                  np.zeros(round(16_000 * GAP_SECONDS), np.int16)]
    audio = np.concatenate(parts)
    audio = audio[: audio.size // FRAME_SAMPLES * FRAME_SAMPLES]
    labels = np.array([dbfs(f) > -45 for f in audio.reshape(-1, FRAME_SAMPLES)])
    return audio, labels


def noise(kind: str, size: int, rng: np.random.Generator) -> np.ndarray:
    white = rng.normal(0, 1, size)
    if kind == "white":
        return white
    spectrum = np.fft.rfft(white)
    spectrum[1:] /= np.sqrt(np.arange(1, spectrum.size))  # 1/f power
    spectrum[0] = 0
    return np.fft.irfft(spectrum, size)


def with_noise(audio: np.ndarray, labels: np.ndarray, kind: str, snr_db: float) -> np.ndarray:
    speech = audio.reshape(-1, FRAME_SAMPLES)[labels].astype(float)
    speech_power = np.mean(speech**2)
    n = noise(kind, audio.size, np.random.default_rng(7))
    n *= np.sqrt(speech_power / 10 ** (snr_db / 10) / np.mean(n**2))
    return np.clip(audio + n, -32768, 32767).astype(np.int16)


def evaluate(audio: np.ndarray, labels: np.ndarray, aggressiveness: int) -> tuple[float, int, float]:
    vad = LocalVad(aggressiveness)
    active = np.zeros(labels.size, bool)
    activities: list[tuple[int, int]] = []
    start = None
    for index, frame in enumerate(audio.reshape(-1, FRAME_SAMPLES)):
        for item in vad.process(frame.tobytes()):
            if isinstance(item, ActivityStart):
                start = max(0, index - vad.preroll_frames - vad.start_window + 1)
            elif isinstance(item, ActivityEnd) and start is not None:
                activities.append((start, index))
                start = None
    if start is not None:
        activities.append((start, labels.size - 1))
    for first, last in activities:
        active[first : last + 1] = True
    hit = float(np.mean(active[labels]))
    false_starts = sum(1 for first, last in activities if not labels[first : last + 1].any())
    delays = []
    speech_ends = [i for i in range(labels.size - 1) if labels[i] and not labels[i + 1:i + 40].any()]
    for end in speech_ends:
        closing = [last for first, last in activities if first <= end <= last]
        if closing:
            delays.append((closing[0] - end) * 20)
    return hit, false_starts, float(np.median(delays)) if delays else float("nan")


def main() -> None:
    if shutil.which("espeak-ng") is None:
        print("skipped: espeak-ng is not installed (apt-get install -y espeak-ng)")
        return
    with tempfile.TemporaryDirectory() as folder:
        audio, labels = speech_set(Path(folder))
    print(f"labelled set: {len(SENTENCES)} sentences, {labels.sum()} speech frames of {labels.size} "
          f"(20 ms); defaults start 4/6 frames, hangover 500 ms, pre-roll 300 ms")
    print(f"{'condition':<16} {'mode':>4} {'hit %':>6} {'false starts':>13} {'end delay ms':>13}")
    conditions = [("clean", None, None)] + [
        (f"{kind} {snr} dB", kind, snr) for kind in ("white", "pink") for snr in (20, 10, 0)]
    for name, kind, snr in conditions:
        noisy = audio if kind is None else with_noise(audio, labels, kind, float(snr or 0))
        for mode in (2, 3):
            hit, false_starts, delay = evaluate(noisy, labels, mode)
            print(f"{name:<16} {mode:>4} {hit * 100:>6.1f} {false_starts:>13} {delay:>13.0f}")


if __name__ == "__main__":
    main()

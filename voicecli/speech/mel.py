"""Whisper's input features: an 80-band log-Mel spectrogram of 16 kHz audio, in numpy only.

Matches OpenAI Whisper's ``log_mel_spectrogram``: a centred 400-point STFT with a periodic Hann
window and a 160-sample hop (100 frames a second), Slaney-style Mel filters, ``log10`` clamped
8 decades under the loudest bin, then scaled by ``(x + 4) / 4``. The audio is padded with zeros
to the window, as Whisper does for its 30 s windows, so silence looks as it did in training.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

SAMPLE_RATE = 16_000
HOP = 160
N_FFT = 400
N_MELS = 80
FRAMES_PER_SECOND = SAMPLE_RATE // HOP
WINDOW_FRAMES = 3_000  # Whisper's 30 s window


@lru_cache(maxsize=1)
def mel_filters() -> np.ndarray:
    """(80, 201) Slaney-scale triangular filters with area normalisation (librosa's defaults)."""
    fft_freqs = np.fft.rfftfreq(N_FFT, d=1.0 / SAMPLE_RATE)
    f_sp = 200.0 / 3  # linear part: 66.7 Hz per Mel below 1 kHz
    min_log_hz = 1_000.0
    min_log_mel = min_log_hz / f_sp
    log_step = np.log(6.4) / 27.0
    max_mel = min_log_mel + np.log(SAMPLE_RATE / 2 / min_log_hz) / log_step
    mels = np.linspace(0.0, max_mel, N_MELS + 2)
    freqs = f_sp * mels
    log_region = mels >= min_log_mel
    freqs[log_region] = min_log_hz * np.exp(log_step * (mels[log_region] - min_log_mel))
    widths = np.diff(freqs)
    ramps = freqs[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (freqs[2:] - freqs[:-2]))[:, None]
    return weights.astype(np.float32)


@lru_cache(maxsize=1)
def _hann() -> np.ndarray:
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)


def log_mel(samples: np.ndarray, frames: int) -> np.ndarray:
    """Features of ``samples`` (float32 in [-1, 1] at 16 kHz), zero-padded or cut to ``frames``.

    Returns a C-contiguous float32 array of shape (80, frames).
    """
    if frames <= 0:
        raise ValueError(f"frames must be positive, not {frames}")
    wanted = frames * HOP
    audio = np.zeros(wanted, dtype=np.float32)
    audio[: min(wanted, len(samples))] = samples[:wanted]
    padded = np.pad(audio, N_FFT // 2, mode="reflect")
    starts = np.arange(frames) * HOP  # the last STFT frame (centred on the end) is dropped, as Whisper does
    windows = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[starts] * _hann()
    power = np.abs(np.fft.rfft(windows, axis=1)).astype(np.float32) ** 2
    mel = mel_filters() @ power.T
    log_spec = np.log10(np.maximum(mel, 1e-10))
    log_spec = np.maximum(log_spec, log_spec.max() - 8.0)
    return np.ascontiguousarray((log_spec + 4.0) / 4.0, dtype=np.float32)

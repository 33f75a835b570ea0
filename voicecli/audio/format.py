"""The audio format voicecli speaks with the Live service, in one place.

Towards the service: 16 kHz mono PCM16 in 20 ms frames. Back from it: 24 kHz mono PCM16 in chunks
of any length. Every other figure here is derived from those, so they cannot disagree.
"""

from __future__ import annotations

SAMPLE_WIDTH = 2  # bytes per sample: PCM16 little-endian, mono

INPUT_RATE = 16_000  # what the microphone path sends
OUTPUT_RATE = 24_000  # what the agent's audio arrives at

FRAME_SECONDS = 0.02  # one input frame
FRAME_SAMPLES = round(INPUT_RATE * FRAME_SECONDS)  # 320
FRAME_BYTES = FRAME_SAMPLES * SAMPLE_WIDTH  # 640
FRAMES_PER_SECOND = round(1 / FRAME_SECONDS)  # 50

INPUT_BYTES_PER_S = INPUT_RATE * SAMPLE_WIDTH  # 32,000
OUTPUT_BYTES_PER_S = OUTPUT_RATE * SAMPLE_WIDTH  # 48,000

# Buffer bounds, in time and in the units the buffers count.
OUTGOING_QUEUE_SECONDS = 20.0  # what the user says while the connection is down is held this long
OUTGOING_QUEUE_FRAMES = round(OUTGOING_QUEUE_SECONDS * FRAMES_PER_SECOND)  # 1,000
REPLAY_SECONDS = 30.0  # what a resumed session may be given again
REPLAY_MAX_FRAMES = round(REPLAY_SECONDS * FRAMES_PER_SECOND)  # 1,500
REPLAY_MAX_BYTES = 1_000_000  # ~31 s of input audio


def input_seconds(byte_count: int) -> float:
    """How long ``byte_count`` bytes of input audio (16 kHz PCM16) last."""
    return byte_count / INPUT_BYTES_PER_S


def output_seconds(byte_count: int) -> float:
    """How long ``byte_count`` bytes of agent audio (24 kHz PCM16) last."""
    return byte_count / OUTPUT_BYTES_PER_S


def frames_for(seconds: float) -> int:
    """How many 20 ms input frames make ``seconds``."""
    return round(seconds * FRAMES_PER_SECOND)

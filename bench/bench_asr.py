"""Offline speech recognition (voicecli.speech) on a held-out set of espeak-ng sentences.

48 sentences (names, numbers, dates, places, commands), none of them used in the tests or while
tuning, each spoken by one of six espeak-ng voices at 150, 175 or 200 words a minute, 16 kHz.

1. Word error rate of the final transcript, clean and with pink noise at 20 dB SNR, with and without
   bias from a session (a system instruction and tools that name the user's contacts and cities).
2. End of speech -> final transcript, with the audio fed in 20 ms pieces at real-time pace and the
   turn declared over 500 ms after the last word (the default silenceDurationMs), as server VAD and
   the client's activity end do; measured from that declaration, p50/p95, with partial passes off
   (the default) and on. Part 1 also gives the time of one pass when a turn arrives all at once, in
   wall time and in CPU time (the latter barely depends on what else the machine is running).

The process is pinned to one core (the recogniser uses one thread). Prints figures; asserts nothing.
Runs alone: `.venv/bin/python bench/bench_asr.py` (`--turns` shortens part 2).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from voicecli.speech import (  # noqa: E402
    Pacing,
    SpeechRecognition,
    load_recognition,
    scoring_words,
    session_hints,
    word_errors,
)
from voicecli.speech.tts import synthesize  # noqa: E402
from voicecli.speech.wer import WordErrors  # noqa: E402

RATE = 16_000
PREROLL_S = 0.3  # what the client's activity detector sends before speech
HANGOVER_S = 0.5  # silence after the last word before the turn is declared over
SNR_DB = 20.0
VOICES = ("en-us", "en-us+f3", "en-gb-x-rp", "en", "en-us-nyc", "en+m3")
SPEEDS = (150, 175, 200)
WER_GOAL = 0.15
REPLY_GOAL_MS = 500

SENTENCES = (
    # names
    "Please call Margaret Thompson after lunch.",
    "Send the report to Rajesh Kumar by Friday.",
    "Is Sofia Rossi available for a meeting on Monday?",
    "Ask Tomasz to join the call at 4 pm.",
    "Forward this email to Chen Wei and Laura Martinez.",
    "Did Olivia Brown confirm her booking?",
    "Remind Hiroshi about the budget review.",
    "Book a haircut with Isabella at the salon.",
    # numbers
    "My order number is 4739.",
    "The total comes to 250 dollars.",
    "I need 3 tickets for the evening show.",
    "Increase the volume to 60 percent.",
    "We have 12 people coming to dinner.",
    "The flight leaves from gate 17.",
    "Transfer 1500 euros to my savings account.",
    "Set the oven to 180 degrees.",
    # dates and times
    "My birthday is on the 14th of July.",
    "The conference starts on Tuesday the 3rd of October.",
    "Move my dentist appointment to next Wednesday.",
    "Wake me up at 6:45 tomorrow.",
    "The invoice is due on the 30th of November.",
    "Plan a trip for the first week of August.",
    "Our anniversary is in December.",
    "Schedule the call for half past two on Thursday.",
    # places
    "What time does the museum in Amsterdam open?",
    "Find me a hotel near the station in Manchester.",
    "How long is the drive from Boston to New York?",
    "Is it raining in Seattle right now?",
    "Show me restaurants in Barcelona.",
    "I am flying to Singapore next month.",
    "Navigate to the nearest pharmacy in Oxford.",
    "What is the population of Toronto?",
    # commands
    "Turn up the heating in the bedroom.",
    "Pause the music and lower the lights.",
    "Add a reminder to buy flowers.",
    "Read me the latest headlines.",
    "Lock the front door and arm the alarm.",
    "Open the garage door please.",
    "Start a timer for 10 minutes.",
    "Mute all notifications until the morning.",
    "Delete the last message I sent.",
    "Switch the living room lamp to blue.",
    "Order a large pizza with mushrooms.",
    "Cancel the meeting with the design team.",
    "What is on my calendar for today?",
    "Turn on the fan in the office.",
    "Text Daniel that I am running 10 minutes late.",
    "Check the balance of my credit card.",
)

# The session the bias comes from. It names most contacts and cities of the set (not Isabella, not
# Toronto) among others the sentences never mention, as a user's own assistant would.
SYSTEM_INSTRUCTION = """You are Nova, a home and office assistant for Laura Martinez.
Her contacts: Margaret Thompson, Rajesh Kumar, Sofia Rossi, Tomasz Nowak, Chen Wei, Olivia Brown,
Hiroshi Tanaka, Daniel Okafor, Ahmed Khan, Emily Clarke, Lucas Silva and Yuki Sato.
She travels to Amsterdam, Manchester, Boston, New York, Seattle, Barcelona, Singapore, Oxford,
Dublin, Lyon and Denver. Keep answers short. Confirm before sending messages or moving money."""
TOOLS = (
    {"name": "set_thermostat", "parameters": {"properties": {
        "room": {"type": "STRING", "enum": ["bedroom", "living room", "office", "kitchen"]},
        "degrees": {"type": "NUMBER"}}}},
    {"name": "control_lights", "parameters": {"properties": {
        "color": {"type": "STRING", "enum": ["red", "blue", "warm white"]}}}},
    {"name": "send_text", "parameters": {"properties": {"contact": {"type": "STRING"}}}},
    {"name": "create_reminder"},
    {"name": "set_timer"},
    {"name": "play_music"},
    {"name": "transfer_money", "parameters": {"properties": {
        "currency": {"type": "STRING", "enum": ["euros", "dollars", "pounds"]}}}},
)


@dataclass(frozen=True)
class Turn:
    text: str
    voice: str
    speed: int
    speech: np.ndarray  # int16, 16 kHz


def build_turns() -> list[Turn]:
    turns = []
    for index, text in enumerate(SENTENCES):
        voice, speed = VOICES[index % len(VOICES)], SPEEDS[index // len(VOICES) % len(SPEEDS)]
        pcm = synthesize(text, rate=RATE, voice=voice, words_per_minute=speed)
        turns.append(Turn(text, voice, speed, np.frombuffer(pcm, dtype="<i2").copy()))
    return turns


def pink_noise(size: int, rng: np.random.Generator) -> np.ndarray:
    spectrum = np.fft.rfft(rng.normal(0, 1, size))
    spectrum[1:] /= np.sqrt(np.arange(1, spectrum.size))  # 1/f power
    spectrum[0] = 0
    return np.fft.irfft(spectrum, size)


def stream(turn: Turn, noisy: bool, seed: int) -> np.ndarray:
    """Pre-roll, the sentence, the hangover; with noise at SNR_DB against the speech, if asked."""
    silence = np.zeros(int(PREROLL_S * RATE), np.int16), np.zeros(int(HANGOVER_S * RATE), np.int16)
    audio = np.concatenate([silence[0], turn.speech, silence[1]]).astype(np.float64)
    if noisy:
        voiced = turn.speech.astype(np.float64)
        noise = pink_noise(audio.size, np.random.default_rng(seed))
        noise *= np.sqrt(np.mean(voiced**2) / 10 ** (SNR_DB / 10) / np.mean(noise**2))
        audio += noise
    return np.clip(audio, -32768, 32767).astype("<i2")


def word_error_rates(recognition: SpeechRecognition, turns: list[Turn], hints: list[str]) -> None:
    words = sum(len(scoring_words(t.text)) for t in turns)
    print(f"\n1. word error rate, {len(turns)} sentences ({words} words), audio handed over at once, final transcript")
    pass_times: list[float] = []
    pass_cpu: list[float] = []  # CPU seconds: what a pass costs whatever else the machine is doing
    for noisy in (False, True):
        for biased in (False, True):
            total = WordErrors(0, 0)
            misses = []
            for index, turn in enumerate(turns):
                recognizer = recognition.recognizer(hints if biased else ())
                recognizer.feed(stream(turn, noisy, seed=index).tobytes())
                started, cpu_started = time.perf_counter(), time.process_time()
                text = recognizer.finish()
                pass_times.append(time.perf_counter() - started)
                pass_cpu.append(time.process_time() - cpu_started)
                errors = word_errors(turn.text, text)
                total += errors
                if errors.errors:
                    misses.append(f"      {turn.voice}@{turn.speed}: {text!r} <- {turn.text!r}")
            condition = f"{'pink 20 dB' if noisy else 'clean':<10} {'with bias' if biased else 'no bias':<9}"
            goal = f"(goal <= {WER_GOAL:.0%} clean)" if not noisy else "(no goal; for reference)"
            print(f"   {condition} WER {total.rate:6.1%}  ({total.errors} errors)  {goal}")
            if os.environ.get("BENCH_ASR_VERBOSE"):
                print("\n".join(misses))
    pass_times.sort()
    pass_cpu.sort()
    print(f"   one pass over a whole turn (audio arrives at once, as from a script): "
          f"p50 {statistics.median(pass_times) * 1000:.0f} ms, p95 {percentile(pass_times, 0.95) * 1000:.0f} ms "
          f"wall; CPU time p50 {statistics.median(pass_cpu) * 1000:.0f} ms, "
          f"p95 {percentile(pass_cpu, 0.95) * 1000:.0f} ms")


def finish_latencies(recognition_for: SpeechRecognition, turns: list[Turn], hints: list[str]) -> list[float]:
    """Seconds from the end of the turn (HANGOVER_S after the last word) to the final transcript."""
    waits = []
    chunk = RATE // 50  # 20 ms
    for index, turn in enumerate(turns):
        audio = stream(turn, noisy=index % 2 == 1, seed=index).tobytes()
        recognizer = recognition_for.recognizer(hints)
        start = time.perf_counter()
        for offset in range(0, len(audio), chunk * 2):
            recognizer.feed(audio[offset : offset + chunk * 2])
            due = start + (offset + chunk * 2) / 2 / RATE
            time.sleep(max(0.0, due - time.perf_counter()))
        turn_end = time.perf_counter()
        recognizer.finish()
        waits.append(time.perf_counter() - turn_end)
    return sorted(waits)


def percentile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=24, help="turns fed in real time, per setting (part 2)")
    args = parser.parse_args()
    recognition, line = load_recognition()
    if recognition is None:
        print(f"skipped: {line}")
        return
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    print(f"machine: {os.cpu_count()} cores (pinned to 1), {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f} at start")
    print(line)
    started = time.perf_counter()
    recognition.warm_up()
    print(f"model load: {time.perf_counter() - started:.1f} s (once per process)")
    turns = build_turns()
    hints = session_hints(SYSTEM_INSTRUCTION, TOOLS)
    speech_s = sum(t.speech.size for t in turns) / RATE
    print(f"set: {len(turns)} sentences, {speech_s:.0f} s of speech, voices {', '.join(VOICES)}, "
          f"{'/'.join(map(str, SPEEDS))} wpm; bias: {len(hints)} session words")
    word_error_rates(recognition, turns, hints)

    selection = turns[:: max(1, len(turns) // args.turns)][: args.turns]
    print(f"\n2. end of turn ({HANGOVER_S * 1000:.0f} ms after the last word) -> final transcript, audio fed "
          f"in real time, {len(selection)} turns (clean and noisy alternating), with bias")
    for name, pacing in (("partial passes off (default)", Pacing()), ("partial pass every 1 s", Pacing(1.0))):
        waits = finish_latencies(SpeechRecognition(pacing=pacing), selection, hints)
        p50, p95 = statistics.median(waits) * 1000, percentile(waits, 0.95) * 1000
        print(f"   {name:<30} p50 {p50:5.0f} ms, p95 {p95:5.0f} ms"
              f"  (goal: the reply starts <= {REPLY_GOAL_MS} ms p95 after the end of speech, recognition included)")
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end (2 cores shared with other work inflate times)")


if __name__ == "__main__":
    main()

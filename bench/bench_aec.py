"""Echo cancellation: ERLE and false barge-ins, offline over 5 minutes of agent speech and on the devices.

1. Offline, faster than real time: the canceller is driven exactly as the devices drive it (5 ms
   speaker blocks stamped with the moment they are heard, 20 ms mic frames stamped with their capture
   time), but on the scene's own clock, so 5 minutes of agent speech take seconds. The room is
   synthetic (voicecli/audio/aec_room.py): delay, level, loudspeaker distortion, reverberation, noise.
   Agent alone (false barge-ins, ERLE), then the user talking over the agent (barge-ins detected).
2. On the virtual devices (scripts/echo-loop.sh): Speaker -> PulseAudio loopback -> Microphone, one
   reply with the user talking over it, real time.

Barge-ins are the local detector's starts (LocalVad, webrtcvad with the canceller's level floor) on
the cleaned frames. Prints figures with the goals beside them; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time

import numpy as np

from voicecli.audio import aec

GOAL_ERLE_DB = 25.0
GOAL_FALSE = 0
AGENT = [
    "Thanks for calling the front desk. I can help you book a room, check an order, or answer questions.",
    "We have rooms available this weekend, and breakfast is included with every booking made before Friday.",
    "Your order number is four five six seven. It shipped yesterday afternoon and should arrive on Monday.",
    "Check-in starts at three in the afternoon, and late check-out can be arranged for a small fee.",
    "The pool is open from seven in the morning until ten at night, and towels are provided at the desk.",
    "I have found two rooms with a sea view. One has a king bed, the other has two queen beds.",
    "Parking is free for guests. The garage entrance is on the left side of the building.",
    "Is there anything else I can help you with today, or would you like me to confirm the booking?",
]
USER = ["Wait, stop, I need to talk to a person.", "Actually, can you make that two rooms?",
        "Sorry, what time was that?"]


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f} on {os.cpu_count()} cores"


def offline(minutes: float, delay_s: float) -> None:
    from voicecli.audio import aec_room as room
    from voicecli.speech.tts import synthesize

    clips = [np.frombuffer(synthesize(text, rate=24_000, words_per_minute=wpm), np.int16)
             for wpm in (160, 175, 190) for text in AGENT]
    track = room.agent_track(clips)
    repeats = int(np.ceil(minutes * 60 * 24_000 / track.size))
    played = np.tile(track, repeats)[: round(minutes * 60 * 24_000)]
    acoustics = room.Room(delay_s=delay_s)

    scene = room.scene(played, [])
    mic, echo = acoustics.microphone(scene.played24k, scene.user16k)
    started = time.process_time()
    canceller = aec.EchoCanceller()
    cleaned = room.cancel_offline(canceller, scene.played24k, mic)
    cpu = time.process_time() - started
    audible = room.audible_frames(echo)
    alone = room.score(mic, cleaned, audible, [])
    settled = room.score(mic, cleaned, audible, [], skip_frames=250)
    raw = room.score(mic, mic, audible, [])
    seconds = mic.size / 16_000
    print(f"offline, agent alone, {seconds / 60:.1f} min of agent speech, echo delay {delay_s * 1000:.0f} ms "
          f"(run in {cpu:.1f} s CPU, {cpu / seconds * 100:.1f}% of real time):")
    print(f"  ERLE {alone.erle_db:5.1f} dB (after the first 5 s: {settled.erle_db:.1f})   goal >= {GOAL_ERLE_DB:g}")
    print(f"  false barge-ins {alone.false_barge_ins}   goal {GOAL_FALSE}   (without AEC: {raw.false_barge_ins} "
          f"starts, the detector then never ends)")
    print(f"  bulk delay found: {canceller.delay_estimate_s}")

    users = [np.frombuffer(synthesize(text, rate=16_000, voice="en-us+f3"), np.int16) for text in USER]
    short = played[: 60 * 24_000]
    talk = [(5.0 + 8.0 * i, users[i % len(users)]) for i in range(7)]
    scene = room.scene(short, talk, user_gain_db=-6)
    mic, echo = acoustics.microphone(scene.played24k, scene.user16k)
    cleaned = room.cancel_offline(aec.EchoCanceller(), scene.played24k, mic)
    both = room.score(mic, cleaned, room.audible_frames(echo), scene.user_spans)
    print(f"offline, user over the agent (1 min, {both.utterances} utterances 6 dB below the echo's source):")
    print(f"  barge-ins detected {both.barge_ins}/{both.utterances}, false {both.false_barge_ins}, "
          f"ERLE {both.erle_db:.1f} dB")


def device(runs: int) -> None:
    from voicecli.audio.aec_loop import LoopUnavailable, echo_loop, run_loop, score_loop
    from voicecli.speech.tts import synthesize

    agent = np.frombuffer(synthesize(" ".join(AGENT[:3]), rate=24_000), np.int16)
    user = (np.frombuffer(synthesize(USER[0], rate=48_000, voice="en-us+f3"), np.int16) * 0.5).astype(np.int16)
    for index in range(runs):
        try:
            with echo_loop("aecbench", delay_ms=60, gain_db=-6) as feed:
                run = asyncio.run(run_loop(feed, agent, user, user_after_s=10.0))
        except LoopUnavailable as error:
            print(f"device loop skipped: {error}")
            return
        score = score_loop(run)
        heard = "missed" if score.barge_in_after_s is None else f"after {score.barge_in_after_s * 1000:.0f} ms"
        print(f"device loop run {index + 1}: ERLE {score.erle_db:5.1f} dB over {score.echo_only_seconds:.1f} s "
              f"(goal >= {GOAL_ERLE_DB:g}), false barge-ins {score.false_barge_ins} (without AEC "
              f"{score.raw_false_starts}), barge-in {heard}, bulk delay {run.delay_estimate_s}, "
              f"speaker underflows {run.underflows}, mic overflows {run.overflows}, {load()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="offline agent speech (default 5)")
    parser.add_argument("--delay-ms", type=float, default=80.0, help="offline echo delay (default 80)")
    parser.add_argument("--device-runs", type=int, default=3, help="runs on the virtual devices (0: none)")
    args = parser.parse_args()
    if not aec.available():
        print(f"bench_aec skipped: {aec.unavailable_reason()}")
        return
    print(f"bench_aec ({load()})")
    offline(args.minutes, args.delay_ms / 1000)
    if args.device_runs:
        os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp/voicecli-audio-xdg")
        device(args.device_runs)


if __name__ == "__main__":
    main()

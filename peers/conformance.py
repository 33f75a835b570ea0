"""`make conformance`: unmodified minimal apps on other frameworks against `voicecli emulator`.

For each framework (pipecat's Gemini Live service, LiveKit's Google realtime plugin in its agents
console), in its own venv under the cache folder: start `voicecli emulator --record`, run the app on
a private virtual sound device with only the environment the emulator printed, and check four things
through the framework's own events, the speaker and the emulator's records:

1. text turn: a typed turn is answered with agent audio at the speaker and an agent transcript;
2. audio turn: speech played into the microphone comes back from the framework as a user transcript
   with at least 75 % of the spoken words;
3. function: "set the thermostat to twenty one degrees" makes the app's `set_thermostat` run with
   temperature 21, its result goes back, and the reply after it speaks the temperature;
4. barge-in: speech into the microphone while the agent talks makes the emulator send
   `interrupted`, the framework reports the interruption, and the speaker is silent within 500 ms.

Prints a table (framework, version, model, each check) and, with `--write-docs`, keeps it at the end
of docs/emulator.md. Exit 0 only when every check of every framework passed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from harness import (
    FRAMEWORKS,
    REPO,
    App,
    Emulator,
    Framework,
    Mic,
    Speaker,
    ensure_venv,
    framework_app,
    input_transcript,
    is_interrupted,
    is_setup,
    is_setup_complete,
    is_tool_call,
    is_tool_response,
    is_turn_complete,
    log,
    machine,
    package_version,
    private_audio,
    replace_between,
    setup_model,
    speech,
    words,
    workdir,
)

CHECKS = ("text turn: audio + transcript", "audio turn: recognised transcript",
          "function called, result spoken", "barge-in")
TYPED = "What can you do for me?"
SPOKEN = "My favorite color is green."
THERMOSTAT = "Please set the thermostat to twenty one degrees."
LONG_QUESTION = ("Tell me everything you know about the old lighthouse keepers who lived alone on the rocky "
                 "islands off the coast of Maine.")
BARGE = "Wait, stop please."
MIN_WORDS = 0.75
BARGE_STOP_S = 0.5
DOCS = REPO / "docs" / "emulator.md"
BEGIN, END = "<!-- conformance:begin -->", "<!-- conformance:end -->"


@dataclass
class Result:
    passed: bool
    detail: str

    def cell(self) -> str:
        return "pass" if self.passed else f"FAIL: {self.detail}"


@dataclass
class Row:
    framework: str
    version: str
    model: str = "?"
    results: dict[str, Result] = field(default_factory=dict)


class Session:
    """One framework app against one emulator, with the microphone and speaker."""

    def __init__(self, app: App, emulator: Emulator, mic: Mic, speaker: Speaker, work: Path) -> None:
        self.app, self.emulator, self.mic, self.speaker, self.work = app, emulator, mic, speaker, work
        self.conn = -1

    def settle(self, after: float, timeout: float = 25.0) -> None:
        """Wait for the turn that started after `after` to complete and the speaker to fall quiet."""
        self.emulator.wait_for(is_turn_complete, after=after, conn=self.conn, timeout=timeout)
        self.speaker.wait_quiet(after, 1.0, timeout=15)

    def agent_text(self, after: float) -> str:
        return "".join(e.get("text", "") for e in self.app.events_of("agent_transcript", after)).strip()

    def say(self, text: str) -> float | None:
        return self.mic.say(speech(text, self.work))(30)

    # -- the checks --------------------------------------------------------------------------------
    def text_turn(self) -> Result:
        started = time.time()
        if not self.app.send(f"text {TYPED}"):
            return Result(False, "the app took no command")
        self.settle(started)
        missing = []
        if not self.emulator.find(lambda r: r.get("dir") == "in" and TYPED in json.dumps(r.get("frame")),
                                  after=started, conn=self.conn):
            missing.append("the typed text never reached the emulator")
        if not self.app.events_of("agent_audio", started):
            missing.append("no agent audio from the framework")
        if self.speaker.first_sound(started, time.time()) is None:
            missing.append("nothing at the speaker")
        text = self.agent_text(started)
        if not text:
            missing.append("no agent transcript")
        return Result(not missing, "; ".join(missing) or f"agent said {text!r}")

    def audio_turn(self) -> Result:
        started = time.time()
        end_of_speech = self.say(SPOKEN)
        if end_of_speech is None:
            return Result(False, "the microphone did not play the speech")
        self.settle(end_of_speech)
        heard = " ".join(e.get("text", "") for e in self.app.events_of("user_transcript", started)).strip()
        transcripts = self.emulator.find(lambda r: bool(input_transcript(r)), after=started, conn=self.conn)
        sent = " ".join(input_transcript(r) for r in transcripts).strip()
        if not heard:
            why = f"the emulator sent {sent!r}" if sent else "the emulator sent no inputTranscription"
            return Result(False, f"no user transcript from the framework ({why})")
        spoken = words(SPOKEN)
        found = sum(word in set(words(heard)) for word in spoken) / len(spoken)
        return Result(found >= MIN_WORDS, f"said {SPOKEN!r}, framework heard {heard!r} ({found:.0%} of the words)")

    def function(self) -> Result:
        started = time.time()
        if not self.app.send(f"text {THERMOSTAT}"):
            return Result(False, "the app took no command")
        call = self.emulator.wait_for(is_tool_call, after=started, conn=self.conn, timeout=20)
        if call is None:
            self.settle(started)
            said = self.agent_text(started)
            return Result(False, f"no toolCall from the emulator (agent said {said!r})")
        response = self.emulator.wait_for(is_tool_response, after=call["t"], conn=self.conn, timeout=15)
        ran = self.app.events_of("tool_call", started)
        if response is None:
            return Result(False, f"no toolResponse came back (the app's handler ran: {bool(ran)})")
        self.settle(response["t"])
        problems = []
        args = ran[0].get("args", {}) if ran else {}
        try:
            temperature = float(args["temperature"])
        except (KeyError, TypeError, ValueError):
            temperature = float("nan")
        if not ran:
            problems.append("the app's set_thermostat never ran")
        elif temperature != 21:
            problems.append(f"set_thermostat got {args}")
        said = self.agent_text(response["t"])
        if not ({"21", "twenty"} & set(words(said))):
            problems.append(f"the reply after the result does not speak it ({said!r})")
        if self.speaker.first_sound(response["t"], time.time()) is None:
            problems.append("nothing at the speaker after the result")
        return Result(not problems, "; ".join(problems) or f"set_thermostat({args}); agent said {said!r}")

    def barge_in(self) -> Result:
        started = time.time()
        if self.say(LONG_QUESTION) is None:
            return Result(False, "the microphone did not play the speech")
        first = None
        deadline = time.time() + 20
        while first is None and time.time() < deadline:
            first = self.speaker.first_sound(started, time.time())
            time.sleep(0.05)
        if first is None:
            return Result(False, "the agent never answered the question, so there was nothing to interrupt")
        time.sleep(max(0.0, first + 0.8 - time.time()))
        self.say(BARGE)
        interrupted = self.emulator.wait_for(is_interrupted, after=first, conn=self.conn, timeout=10)
        if interrupted is None:
            self.settle(started)
            return Result(False, "the emulator sent no interrupted (the reply ended first?)")
        # The emulator answers the interruption too: silence is expected until that reply starts.
        self.settle(interrupted["t"])
        following = self.emulator.find(lambda r: r.get("dir") == "out" and "modelTurn" in str(r.get("frame")),
                                       after=interrupted["t"] + 0.05, conn=self.conn)
        window_end = following[0]["t"] if following else interrupted["t"] + 3.0
        last = self.speaker.last_sound(first, window_end)
        stop_ms = (max(last or 0.0, interrupted["t"]) - interrupted["t"]) * 1000
        problems = []
        if not self.app.events_of("interrupted", first):
            problems.append("the framework reported no interruption")
        if stop_ms > BARGE_STOP_S * 1000:
            problems.append(f"agent audio went on {stop_ms:.0f} ms after interrupted")
        return Result(not problems, "; ".join(problems) or f"speaker silent {stop_ms:.0f} ms after interrupted")


def run_framework(framework: Framework, audio_env: dict[str, str], speaker: Speaker, mic: Mic) -> Row:
    distribution = {"pipecat": "pipecat-ai", "livekit": "livekit-plugins-google"}[framework.name]
    row = Row(framework.name, f"{distribution} {package_version(framework, distribution)}")
    with workdir() as work:
        emulator = Emulator(work, "--speed", "1")
        app = framework_app(framework, work, {**audio_env, **emulator.app_env()})
        try:
            app.launch()
            ready = emulator.wait_for(is_setup_complete, after=app.launched, timeout=90)
            if ready is None:
                why = f"never connected to the emulator; app log:\n{app.log_tail()}"
                row.results = {check: Result(False, "never connected") for check in CHECKS}
                log(f"{framework.name}: {why}")
                return row
            session = Session(app, emulator, mic, speaker, work)
            session.conn = ready["conn"]
            setups = emulator.find(is_setup, conn=session.conn)
            row.model = setup_model(setups[0]) if setups else "?"
            session.settle(ready["t"])  # the app's opening reply
            steps: list[tuple[str, Callable[[], Result]]] = [
                (CHECKS[0], session.text_turn), (CHECKS[1], session.audio_turn),
                (CHECKS[2], session.function), (CHECKS[3], session.barge_in)]
            for check, run in steps:
                if not app.alive():
                    row.results[check] = Result(False, "the app had exited")
                    continue
                row.results[check] = run()
                log(f"{framework.name}: {check}: {row.results[check].cell()}")
                if row.results[check].passed:
                    log(f"  ({row.results[check].detail})")
        finally:
            app.stop()
            emulator.close()
    return row


def table(rows: list[Row]) -> str:
    lines = ["| framework | version | model | " + " | ".join(CHECKS) + " |",
             "|---" * (3 + len(CHECKS)) + "|"]
    for row in rows:
        cells = [row.results.get(check, Result(False, "not run")).cell().replace("|", "/") for check in CHECKS]
        lines.append(f"| {row.framework} | {row.version} | {row.model} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--framework", choices=sorted(FRAMEWORKS), action="append",
                        help="only this framework (repeatable; default: all)")
    parser.add_argument("--write-docs", action="store_true", help="keep the table in docs/emulator.md")
    args = parser.parse_args()
    names = args.framework or sorted(FRAMEWORKS, reverse=True)  # pipecat, then livekit
    started = time.monotonic()
    for name in names:
        ensure_venv(FRAMEWORKS[name])
    rows = []
    with private_audio() as audio_env:
        speaker, mic = Speaker(), Mic(audio_env)
        try:
            rows = [run_framework(FRAMEWORKS[name], audio_env, speaker, mic) for name in names]
        finally:
            mic.close()
            speaker.close()
    result = table(rows)
    print(result)
    took = time.monotonic() - started
    print(f"({took:.0f} s; {machine()})")
    if args.write_docs:
        when = datetime.date.today().isoformat()
        body = (f"Latest run ({when}, {machine()}; `make conformance`):\n\n{result}\n")
        replace_between(DOCS, BEGIN, END, body)
        print(f"table kept in {DOCS.relative_to(REPO)}")
    return 0 if rows and all(r.passed for row in rows for r in row.results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

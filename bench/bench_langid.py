"""voicecli.guards.langid on the labelled utterances in tests/guards/fixtures/utterances.txt.

Buckets: short (3-8 words), medium (8-20 words), whole turns (medium + short + medium of one language,
25-45 words). For each: identify() accuracy, and what matches() answers for the right language (a False
there would be a false drift) and for a wrong one (False is a drift caught, None a turn let through).
Then DriftDetector over whole turns, per-language accuracy, and the time per call. Prints figures;
asserts nothing.
"""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from pathlib import Path

from voicecli.guards import langid
from voicecli.guards.drift import DriftDetector

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "guards" / "fixtures" / "utterances.txt"


def load() -> dict[str, list[tuple[str, str]]]:
    """Bucket -> [(language, text)], with the whole-turn bucket built from the other two."""
    lines: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for raw in FIXTURE.read_text(encoding="utf-8").splitlines():
        if raw.strip() and not raw.startswith("#"):
            language, bucket, text = raw.split("|", 2)
            lines[bucket][language].append(text)
    buckets: dict[str, list[tuple[str, str]]] = {"short": [], "medium": [], "turn": []}
    for language in lines["s"]:
        shorts, mediums = lines["s"][language], lines["m"][language]
        buckets["short"] += [(language, text) for text in shorts]
        buckets["medium"] += [(language, text) for text in mediums]
        for k in range(len(mediums) // 2):
            buckets["turn"].append((language, f"{mediums[2 * k]} {shorts[k]} {mediums[2 * k + 1]}"))
    return buckets


# The wrong expectation for a text: its nearest neighbour in the set, the hardest case to catch.
NEIGHBOUR = {"en": "de", "es": "pt", "pt": "es", "it": "es", "fr": "it", "de": "nl", "nl": "de", "ja": "zh",
             "zh": "ja", "ko": "ja", "ru": "pl", "pl": "ru", "tr": "en", "hi": "en"}


def other(language: str) -> str:
    """A wrong expectation for a text in ``language``."""
    return NEIGHBOUR.get(language, "en")


def main() -> None:
    started = time.perf_counter()
    langid.warm_up()
    print(f"model load: {time.perf_counter() - started:.2f} s")
    buckets = load()
    per_language: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    print(f"{'bucket':8} {'n':>4} {'accuracy':>9} {'own: ok/none/FALSE':>20} "
          f"{'other: caught/none/wrong':>25} {'us/call':>8}")
    for bucket, items in buckets.items():
        times, correct = [], 0
        own = {True: 0, None: 0, False: 0}
        wrong = {False: 0, None: 0, True: 0}
        for language, text in items:
            t0 = time.perf_counter()
            detected, _ = langid.identify(text)
            times.append(time.perf_counter() - t0)
            ok = langid.same_language(detected, language)
            correct += ok
            per_language[language][bucket].append(ok)
            own[langid.matches(text, language)] += 1
            wrong[langid.matches(text, other(language))] += 1
        n = len(items)
        print(
            f"{bucket:8} {n:>4} {correct / n:>9.1%} "
            f"{own[True]:>8}/{own[None]}/{own[False]:<6} {wrong[False]:>12}/{wrong[None]}/{wrong[True]:<8}"
            f" {statistics.median(times) * 1e6:>8.0f}"
        )
    print("\nper language (accuracy short / medium / turn):")
    for language in sorted(per_language):
        cells = [f"{sum(v) / len(v):6.0%}" for v in per_language[language].values()]
        print(f"  {language}: " + " ".join(cells))
    false_drifts = caught = 0
    for language, text in buckets["turn"]:
        right, wrong_detector = DriftDetector(language), DriftDetector(other(language))
        right.feed(text)
        wrong_detector.feed(text)
        false_drifts += right.end_turn() is not None
        caught += wrong_detector.end_turn() is not None
    n = len(buckets["turn"])
    print(f"\nDriftDetector on {n} whole turns: false drifts {false_drifts}, drifts caught {caught}/{n}")


if __name__ == "__main__":
    main()

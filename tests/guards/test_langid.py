"""voicecli.guards.langid on the hand-written labelled set (fixtures/utterances.txt)."""

from __future__ import annotations

import pytest

from voicecli.guards import langid

LANGUAGES = ["en", "es", "fr", "de", "it", "pt", "nl", "ja", "zh", "hi", "ko", "ru", "pl", "tr"]


def test_the_fixture_has_thirty_lines_per_language_in_the_right_buckets(
    utterances: dict[str, dict[str, list[str]]],
) -> None:
    for language in LANGUAGES:
        assert len(utterances["s"][language]) + len(utterances["m"][language]) >= 30, language
        for bucket, low, high in (("s", 3, 8), ("m", 8, 20)):
            for text in utterances[bucket][language]:
                assert low <= langid.word_count(text) <= high, (language, text)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_medium_utterance_is_identified(language: str, utterances: dict[str, dict[str, list[str]]]) -> None:
    for text in utterances["m"][language]:
        detected, confidence = langid.identify(text)
        assert detected == language, text
        assert 0.0 < confidence <= 1.0


def test_short_utterances_are_mostly_identified(utterances: dict[str, dict[str, list[str]]]) -> None:
    items = [(language, text) for language in LANGUAGES for text in utterances["s"][language]]
    right = sum(langid.identify(text)[0] == language for language, text in items)
    assert right / len(items) >= 0.9


def test_matches_never_calls_the_right_language_wrong(utterances: dict[str, dict[str, list[str]]]) -> None:
    for bucket in ("s", "m"):
        for language in LANGUAGES:
            for text in utterances[bucket][language]:
                assert langid.matches(text, language) is not False, text


def test_matches_takes_a_bcp47_tag_and_catches_another_language() -> None:
    assert langid.matches("I can see two appointments next week, one on Tuesday morning.", "en-US") is True
    assert langid.matches("Veo dos citas la semana que viene, una el martes por la mañana.", "en-US") is False
    assert langid.matches("下周您有两个预约，一个在星期二上午，一个在星期四下午。", "cmn-CN") is True


@pytest.mark.parametrize("text", ["", "Hola", "OK sure", "12 34 56", "…!?", "はい"])
def test_too_short_or_letterless_text_cannot_tell(text: str) -> None:
    assert langid.matches(text, "en-US") is None


def test_letterless_text_is_undetermined() -> None:
    assert langid.identify("42, 17 — 9!") == ("und", 0.0)


def test_an_unknown_or_malformed_tag_cannot_tell() -> None:
    text = "I can see two appointments next week, one on Tuesday morning."
    assert langid.matches(text, "not a tag") is None
    assert langid.matches(text, "haw") is None


def test_word_count_counts_unspaced_scripts_by_characters() -> None:
    assert langid.word_count("Good morning, how can I help?") == 6
    assert langid.word_count("少々お待ちください。") == 3 / 2 + 6 / 3  # 少々待, then six kana
    assert langid.word_count("请稍等，我马上回来。") == 8 / 2
    assert langid.word_count("It's a well-known plan.") == 4


def test_close_languages_count_as_one() -> None:
    assert langid.same_language("nn", "no") and langid.same_language("nb", "no")
    assert langid.same_language("sr", "hr") and langid.same_language("cmn", "zh")
    assert not langid.same_language("es", "pt")


def test_bracketed_asides_are_ignored() -> None:
    text = "[laughs] <noise> Veo dos citas la semana que viene, una el martes por la mañana."
    assert langid.identify(text)[0] == "es"

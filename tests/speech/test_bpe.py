"""Byte-level BPE: merges by rank, reversible bytes, special tokens left out of text."""

from __future__ import annotations

import json
from pathlib import Path

from voicecli.speech.bpe import Tokenizer, _byte_to_char


def small_tokenizer() -> Tokenizer:
    byte_chars = list(_byte_to_char().values())
    vocab = {char: index for index, char in enumerate(byte_chars)}
    merges = [("h", "e"), ("l", "l"), ("he", "ll"), ("Ġ", "w"), ("hell", "o")]
    for a, b in merges:
        vocab[a + b] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    return Tokenizer(vocab, merges)


def test_bytes_map_to_distinct_printable_characters() -> None:
    table = _byte_to_char()
    assert len(table) == 256 and len(set(table.values())) == 256
    assert table[ord(" ")] == "Ġ" and table[ord("a")] == "a"


def test_merges_apply_in_rank_order() -> None:
    tokenizer = small_tokenizer()
    ids = tokenizer.encode("hello world")
    tokens = [next(t for t, i in tokenizer._vocab.items() if i == token_id) for token_id in ids]
    assert tokens[:2] == ["hello", "Ġw"]


def test_encode_decode_round_trip_with_any_text() -> None:
    tokenizer = small_tokenizer()
    for text in ["hello world", " Zoë's café: 21°C, naïve — ok?", "tabs\tand\nnewlines  ", "日本語"]:
        assert tokenizer.decode(tokenizer.encode(text)) == text


def test_decode_skips_special_and_unknown_tokens() -> None:
    tokenizer = small_tokenizer()
    ids = [tokenizer.token_id("<|endoftext|>"), *tokenizer.encode("hello"), 10**6]
    assert tokenizer.decode(ids) == "hello"
    assert tokenizer.starts_word(tokenizer.encode(" world")[0])
    assert not tokenizer.starts_word(tokenizer.encode("hello")[0])


def test_loads_a_tokenizer_json(tmp_path: Path) -> None:
    byte_chars = list(_byte_to_char().values())
    vocab = {char: index for index, char in enumerate(byte_chars)} | {"ab": 256}
    data = {"model": {"type": "BPE", "vocab": vocab, "merges": ["a b"]},
            "added_tokens": [{"id": 257, "content": "<|startoftranscript|>"}]}
    path = tmp_path / "tokenizer.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    tokenizer = Tokenizer.from_file(path)
    assert tokenizer.encode("ab") == [256]
    assert tokenizer.token_id("<|startoftranscript|>") == 257

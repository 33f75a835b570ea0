"""Whisper's byte-level BPE, read from the model's ``tokenizer.json``: text to ids and ids to text.

Only what the recogniser needs: encoding the bias prompt and decoding what the model says. Doing it
here keeps the ``tokenizers`` package (and the Hugging Face hub client it pulls in) out of the extra.
Pre-tokenisation follows GPT-2's pattern; Python's ``re`` has no ``\\p{L}``, so letters are
``[^\\W\\d_]`` and everything else that is neither space nor a digit counts as punctuation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

_PIECES = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+""")


@lru_cache(maxsize=1)
def _byte_to_char() -> dict[int, str]:
    """GPT-2's reversible map from bytes to printable characters (a space becomes ``Ġ``)."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    chars = list(printable)
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            chars.append(256 + extra)
            extra += 1
    return {byte: chr(char) for byte, char in zip(printable, chars, strict=True)}


class Tokenizer:
    """Byte-level BPE over a vocabulary (token -> id) and ranked merges."""

    def __init__(self, vocab: dict[str, int], merges: Iterable[tuple[str, str]]) -> None:
        self._vocab = vocab
        self._tokens = {index: token for token, index in vocab.items()}
        self._ranks = {pair: rank for rank, pair in enumerate(merges)}
        self._byte_to_char = _byte_to_char()
        self._char_to_byte = {char: byte for byte, char in self._byte_to_char.items()}
        self._cache: dict[str, tuple[str, ...]] = {}

    @classmethod
    def from_file(cls, path: Path) -> Tokenizer:
        """Load a Hugging Face ``tokenizer.json`` of type BPE (added special tokens included)."""
        data = json.loads(path.read_text(encoding="utf-8"))
        model = data["model"]
        vocab: dict[str, int] = dict(model["vocab"])
        for added in data.get("added_tokens", []):
            vocab[added["content"]] = added["id"]
        merges = [tuple(m.split(" ", 1)) if isinstance(m, str) else tuple(m) for m in model["merges"]]
        return cls(vocab, [(a, b) for a, b in merges])

    def token_id(self, token: str) -> int:
        """The id of a token such as ``<|endoftext|>``; KeyError if the vocabulary lacks it."""
        return self._vocab[token]

    def encode(self, text: str) -> list[int]:
        ids: list[int] = []
        for piece in _PIECES.findall(text):
            mapped = "".join(self._byte_to_char[b] for b in piece.encode("utf-8"))
            ids.extend(self._vocab[token] for token in self._merge(mapped))
        return ids

    def decode(self, ids: Iterable[int]) -> str:
        """Text of ordinary tokens; special tokens (``<|...|>``) and unknown ids are skipped."""
        chars = "".join(self._tokens.get(i, "") for i in ids if not self._tokens.get(i, "<|").startswith("<|"))
        return bytes(self._char_to_byte[c] for c in chars if c in self._char_to_byte).decode("utf-8", "replace")

    def starts_word(self, token_id: int) -> bool:
        """True for a token that begins with a space, i.e. starts a new word."""
        return self._tokens.get(token_id, "").startswith("Ġ")

    def _merge(self, word: str) -> tuple[str, ...]:
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        parts = list(word)
        while len(parts) > 1:
            ranked = [(self._ranks.get(pair, -1), i) for i, pair in enumerate(zip(parts, parts[1:], strict=False))]
            candidates = [(rank, i) for rank, i in ranked if rank >= 0]
            if not candidates:
                break
            _, i = min(candidates)
            parts[i : i + 2] = [parts[i] + parts[i + 1]]
        result = tuple(parts)
        if len(self._cache) < 10_000:
            self._cache[word] = result
        return result

"""Small pure pieces of the conversation engine."""

from __future__ import annotations

from voicecli import events as ev
from voicecli.agent import heard_part, split_frames


def test_split_frames_pads_the_last_frame_with_silence() -> None:
    frames = split_frames(b"\x01\x00" * 500)
    assert [len(f) for f in frames] == [ev.FRAME_BYTES, ev.FRAME_BYTES]
    assert frames[1][360:] == bytes(280)
    assert split_frames(b"") == []


def test_heard_part_follows_the_share_of_audio_played() -> None:
    text = "one two three four five six seven eight"
    assert heard_part(text, heard_s=1.0, received_s=4.0) == "one two"
    assert heard_part(text, heard_s=4.0, received_s=4.0) == text
    assert heard_part(text, heard_s=9.0, received_s=4.0) == text
    assert heard_part(text, heard_s=0.0, received_s=4.0) == ""
    assert heard_part("", heard_s=1.0, received_s=4.0) == ""

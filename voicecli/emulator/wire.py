"""WebSocket frames handled without websockets where it costs most: audio in, speech out.

In: whole client data frames read straight from the bytes received, for the audio fast path.

websockets parses every frame through a chain of generators; for the 20 ms audio frames that make
up almost all traffic that costs about as much as everything the emulator does with them. When
websockets' parser waits at a frame boundary with nothing buffered, the bytes just received that
form complete, final, unfragmented, masked text or binary frames can be unmasked here and offered to
the fast path one by one; the first frame it declines, and everything after it, goes to websockets
as usual, which is then still at a frame boundary. Control frames, fragments, extension bits, and
anything unusual always go to websockets.

Out: a speech chunk is the same frame on every connection, so it is framed once (``server_frame``)
and written to the transport as is while the connection is open with nothing else being sent and no
back-pressure (``can_write``); otherwise websockets sends it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from websockets.protocol import State
from websockets.streams import StreamReader

try:
    from websockets.speedups import apply_mask
except ImportError:  # pragma: no cover - websockets without its C extension
    from websockets.utils import apply_mask

_AT_EOF = StreamReader.at_eof.__code__  # the generator websockets' parser waits in between frames
_FIN_TEXT, _FIN_BINARY = 0x81, 0x82  # FIN set, no extension bits, opcode text or binary


def at_frame_boundary(protocol: Any) -> bool:
    """websockets' parser waits for the next frame, with no byte of it received and no message in pieces."""
    if protocol.state is not State.OPEN or protocol.current_size is not None or protocol.reader.buffer:
        return False
    waiting = protocol.parser  # the server's parser delegates to the frame parser, which waits in at_eof
    for _ in range(4):
        inner = getattr(waiting, "gi_yieldfrom", None)
        if inner is None:
            break
        waiting = inner
    return getattr(waiting, "gi_code", None) is _AT_EOF


def take_frames(data: bytes, take: Callable[[bytes], bool], max_size: int | None) -> int:
    """Offer each complete data frame at the start of ``data`` to ``take``; the bytes it consumed.

    Stops at the first frame that is incomplete, not a plain masked data frame, larger than
    ``max_size``, or declined by ``take``: those bytes and the rest are websockets' to parse.
    """
    position, end = 0, len(data)
    while end - position >= 6:
        first, second = data[position], data[position + 1]
        if first not in (_FIN_TEXT, _FIN_BINARY) or not second & 0x80:
            break
        length, header = second & 0x7F, 2
        if length == 126:
            if end - position < 8:
                break
            length, header = int.from_bytes(data[position + 2:position + 4], "big"), 4
        elif length == 127:
            break  # 64 KiB or more: never an audio frame
        start = position + header + 4
        if start + length > end or (max_size is not None and length > max_size):
            break
        payload = apply_mask(data[start:start + length], data[position + header:start])
        if not take(payload):
            break
        position = start + length
    return position


def server_frame(payload: bytes) -> bytes:
    """``payload`` as one final, unmasked binary frame, as a server sends it."""
    length = len(payload)
    if length < 126:
        header = bytes((_FIN_BINARY, length))
    elif length < 1 << 16:
        header = bytes((_FIN_BINARY, 126)) + length.to_bytes(2, "big")
    else:
        header = bytes((_FIN_BINARY, 127)) + length.to_bytes(8, "big")
    return header + payload


def can_write(connection: Any) -> bool:
    """A ready frame may go straight to the transport: what websockets' ``send`` would do, minus the work."""
    transport = connection.transport
    return (connection.protocol.state is State.OPEN and connection.send_in_progress is None
            and not connection.paused and not connection.protocol.writes and transport is not None
            and not transport.is_closing())

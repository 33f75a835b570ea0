#!/usr/bin/env bash
# The Debian packages `make conformance` and `make bench-peers` need beyond voicecli's own:
# PortAudio's headers and a compiler, because pipecat's local audio transport uses PyAudio, which
# has no Linux wheel (without them the pipecat install fails with "portaudio.h: No such file").
exec bash "$(dirname "$0")/../scripts/system-deps.sh" "pipecat's PyAudio" portaudio19-dev gcc libc6-dev

#!/usr/bin/env bash
# The Debian packages `make conformance` and `make bench-peers` need beyond voicecli's own
# (scripts/system-deps.sh): PortAudio's headers and a compiler, because pipecat's local audio
# transport uses PyAudio, which has no Linux wheel. As root it installs them; otherwise it prints
# the apt-get line and goes on (the pipecat install then fails with "portaudio.h: No such file").
set -u
packages=(portaudio19-dev gcc libc6-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
line="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing system packages: ${missing[*]}"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive $line -qq >/dev/null) \
    || echo "warning: could not install ${missing[*]}" >&2
else
  echo "note: pipecat's PyAudio needs: sudo $line" >&2
fi
exit 0

#!/usr/bin/env bash
# Installs the Debian packages voicecli's audio path and tests need, when missing.
# As root it installs them; otherwise it prints the exact apt-get line and goes on.
set -u
packages=(libportaudio2 pulseaudio pulseaudio-utils libasound2-plugins espeak-ng sox)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
line="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing system packages: ${missing[*]}"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive $line -qq >/dev/null) \
    || echo "warning: could not install ${missing[*]}; audio tests will be skipped" >&2
else
  echo "note: voicecli's audio path needs: sudo $line" >&2
fi
exit 0

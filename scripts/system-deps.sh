#!/usr/bin/env bash
# Installs Debian packages when missing: by default the ones voicecli's audio path and tests need;
# `system-deps.sh WHAT PACKAGE...` installs others for WHAT (named in the messages).
# As root it installs them; otherwise it prints the exact apt-get line and goes on.
set -u
what="voicecli's audio path"
packages=(libportaudio2 pulseaudio pulseaudio-utils libasound2-plugins espeak-ng sox)
if [ $# -ge 2 ]; then
  what=$1
  shift
  packages=("$@")
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
line="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing system packages: ${missing[*]}"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive $line -qq >/dev/null) \
    || echo "warning: could not install ${missing[*]} ($what will not work)" >&2
else
  echo "note: $what needs: sudo $line" >&2
fi
exit 0

#!/usr/bin/env bash
# usage: virtual-audio.sh start|stop
# A private PulseAudio server with a virtual microphone and speaker, for tests and benchmarks on machines
# without a sound card. Idempotent: a second start or stop does nothing. Clients must use the same
# XDG_RUNTIME_DIR (default /tmp/voicecli-audio-xdg) and must start after the server (PortAudio reads the
# device list once, when sounddevice is imported).
#   mic:     default source micfeed.monitor; feed it with `pacat -d micfeed` or `paplay -d micfeed file.wav`
#   speaker: default sink, a 24 kHz mono s16le pipe sink paced by the system clock;
#            what was played can be read from $XDG_RUNTIME_DIR/speaker.fifo
set -euo pipefail
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp/voicecli-audio-xdg}

if ! command -v pulseaudio >/dev/null 2>&1 || ! command -v pactl >/dev/null 2>&1; then
  # Not an error: the tests that need a sound device skip with this reason.
  echo "virtual audio unavailable: pulseaudio is not installed" \
       "(apt-get install -y --no-install-recommends pulseaudio pulseaudio-utils libasound2-plugins)"
  exit 0
fi

mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"

case "${1:-start}" in
start)
  if pactl info >/dev/null 2>&1; then echo "virtual audio already running ($XDG_RUNTIME_DIR)"; exit 0; fi
  # As root PulseAudio only warns that it is not meant to run as root; D-Bus is not needed.
  if ! pulseaudio --daemonize=yes -n --exit-idle-time=-1 --disallow-exit --disable-shm=yes \
      --log-target=file:"$XDG_RUNTIME_DIR/pulse.log" --load=module-native-protocol-unix \
      --load="module-pipe-sink sink_name=speaker file=$XDG_RUNTIME_DIR/speaker.fifo format=s16le rate=24000 channels=1 use_system_clock_for_timing=yes" \
      --load="module-null-sink sink_name=micfeed rate=48000 channels=1" 2>/dev/null; then
    echo "virtual audio unavailable: pulseaudio did not start (see $XDG_RUNTIME_DIR/pulse.log)"
    exit 0
  fi
  for _ in $(seq 50); do pactl info >/dev/null 2>&1 && break; sleep 0.1; done
  if ! pactl info >/dev/null 2>&1; then
    echo "virtual audio unavailable: pulseaudio started but does not answer (see $XDG_RUNTIME_DIR/pulse.log)"
    exit 0
  fi
  pactl set-default-sink speaker && pactl set-default-source micfeed.monitor
  echo "virtual audio up: sink=$(pactl get-default-sink) source=$(pactl get-default-source)" \
       "XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR";;
stop)
  pulseaudio --kill 2>/dev/null || true
  for _ in $(seq 50); do pactl info >/dev/null 2>&1 || break; sleep 0.1; done
  echo "virtual audio stopped";;
*) echo "usage: $0 start|stop" >&2; exit 2;;
esac

#!/usr/bin/env bash
# usage: echo-loop.sh start NAME [DELAY_MS] [GAIN_DB] | stop NAME
# A speaker whose sound comes back into a microphone, on the virtual PulseAudio server of
# virtual-audio.sh, for the echo canceller's device test and bench. It adds its own devices and never
# touches the defaults other tests use:
#   NAME_spk  a 24 kHz pipe sink paced by the system clock (the speaker; FIFO $XDG_RUNTIME_DIR/NAME_spk.fifo)
#   NAME_mic  a 48 kHz null sink whose monitor is the microphone; feed the user's voice with `pacat -d NAME_mic`
#   a loopback NAME_spk.monitor -> NAME_mic, DELAY_MS late (default 60) and GAIN_DB quieter (default -6)
# Clients pick them with PULSE_SINK=NAME_spk PULSE_SOURCE=NAME_mic.monitor. `stop NAME` unloads exactly
# the modules `start NAME` loaded (their ids are kept in $XDG_RUNTIME_DIR/NAME.modules).
set -euo pipefail
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp/voicecli-audio-xdg}
action=${1:-}
name=${2:-}
if [[ -z "$name" || ! "$name" =~ ^[a-z][a-z0-9_]*$ ]]; then
  echo "usage: $0 start NAME [DELAY_MS] [GAIN_DB] | stop NAME  (NAME: lower-case letters, digits, _)" >&2
  exit 2
fi
ids="$XDG_RUNTIME_DIR/$name.modules"
if ! pactl info >/dev/null 2>&1; then
  echo "echo loop unavailable: no PulseAudio server at $XDG_RUNTIME_DIR (make audio-up)"
  exit 1
fi

stop() {
  [[ -f "$ids" ]] || return 0
  # Loopback first, so nothing is left reading a sink that goes away.
  for id in $(tac "$ids"); do pactl unload-module "$id" 2>/dev/null || true; done
  rm -f "$ids" "$XDG_RUNTIME_DIR/${name}_spk.fifo"
}

case "$action" in
start)
  delay=${3:-60}
  gain=${4:--6}
  stop  # a loop left over from an interrupted run
  : >"$ids"
  pactl load-module module-pipe-sink sink_name="${name}_spk" file="$XDG_RUNTIME_DIR/${name}_spk.fifo" \
    format=s16le rate=24000 channels=1 use_system_clock_for_timing=yes >>"$ids"
  pactl load-module module-null-sink sink_name="${name}_mic" rate=48000 channels=1 >>"$ids"
  pactl load-module module-loopback source="${name}_spk.monitor" sink="${name}_mic" \
    latency_msec="$delay" source_dont_move=true sink_dont_move=true remix=false \
    sink_input_properties=media.name="${name}_echo" >>"$ids"
  # The echo's level: the loopback's own stream volume, so the user's voice fed into NAME_mic is untouched.
  input=$(pactl list short sink-inputs | awk -v sink="$(pactl list short sinks | awk -v n="${name}_mic" '$2==n {print $1}')" \
    '$2==sink && $3=="-" {print $1}' | tail -1)
  if [[ -n "$input" ]]; then pactl set-sink-input-volume "$input" "${gain}dB"; fi
  echo "echo loop $name up: speaker ${name}_spk -> ${delay} ms, ${gain} dB -> microphone ${name}_mic.monitor";;
stop)
  stop
  echo "echo loop $name removed";;
*)
  echo "usage: $0 start NAME [DELAY_MS] [GAIN_DB] | stop NAME" >&2
  exit 2;;
esac

"""The ``voicecli`` entry point: global options, command registration, error rendering."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from voicecli.errors import EXIT_INTERRUPTED, VoicecliError
from voicecli.paths import DATA_DIR_ENV

app = typer.Typer(
    name="voicecli",
    help="Talk to a Gemini Live voice agent from the terminal; run a local Live emulator offline.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

_debug = False


@app.callback()
def _global_options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help=f"Where voicecli keeps its files (default ${DATA_DIR_ENV}).",
                     show_default=False),
    ] = None,
) -> None:
    global _debug
    _debug = debug
    if data_dir is not None:
        os.environ[DATA_DIR_ENV] = str(data_dir)


# Which module registers each command. A run imports only the module of the command it names
# (the others cost tens of milliseconds of imports); --help, no command or an unknown one loads all,
# so the listing and Typer's "no such command" see every command.
COMMAND_MODULES = {
    "talk": "talk_cmd", "doctor": "doctor_cmd", "devices": "devices_cmd", "emulator": "emulator_cmd",
    "logs": "logs_cmd", "persona": "persona_cmd", "lint-persona": "persona_cmd", "test": "test_cmd",
}
ALL_COMMAND_MODULES = tuple(dict.fromkeys(COMMAND_MODULES.values()))
_OPTIONS_WITH_VALUE = frozenset({"--data-dir"})


def command_modules(argv: list[str]) -> tuple[str, ...]:
    """The command modules a run with these arguments needs: the named command's, else all of them."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in _OPTIONS_WITH_VALUE:
            skip = True
        elif not arg.startswith("-"):
            module = COMMAND_MODULES.get(arg)
            return (module,) if module is not None else ALL_COMMAND_MODULES
    return ALL_COMMAND_MODULES


def _register_commands(argv: list[str] | None = None) -> None:
    # Each module adds its commands to ``app``; they import heavy libraries lazily.
    import importlib

    for module in command_modules(sys.argv[1:] if argv is None else argv):
        importlib.import_module(f"voicecli.cli.{module}")


def run() -> None:
    """Console-script entry: run the app and render any VoicecliError once.

    Typer's standalone mode turns usage errors into exit 2 and ``typer.Exit`` into its code;
    everything voicecli raises on purpose is a VoicecliError, rendered here with its hint.
    """
    import gc

    _register_commands()
    try:
        app()
    except SystemExit as done:
        if done.code == EXIT_INTERRUPTED:
            # Ctrl-C: leave at once. The interpreter's final garbage collection of the ~100k
            # objects the SDK leaves behind takes most of a second; freezing them loses nothing,
            # as every file and the session log are closed by now.
            gc.freeze()
        raise
    except VoicecliError as error:
        if _debug:  # a traceback as well, never a different exit code
            import traceback

            traceback.print_exc()
        from voicecli.ui.errors import render_error

        render_error(error)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        gc.freeze()
        sys.exit(EXIT_INTERRUPTED)
    except Exception as error:
        if _debug:
            raise
        print(f"voicecli: unexpected error: {error!r} (run with --debug for a traceback)", file=sys.stderr)
        sys.exit(1)

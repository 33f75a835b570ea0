"""Every error voicecli reports to a user, and the exit code it maps to.

    VoicecliError (1)                 anything else that stops a command
    ├── UsageError (2)                bad flags or arguments
    ├── PersonaError (2)              a persona file that cannot be read, parsed or validated
    ├── AudioError (3)                PortAudio missing, no audio server or device, busy, bad rate
    ├── AuthError (4)                 no credentials, a refused key, an unknown model
    ├── ConversationTimeout (5)       a scripted conversation did not finish within --timeout
    ├── BackendError (6)              the Live service failed for good (retry budget spent,
    │                                 malformed frames, an invalid setup)
    ├── ToolFailure (7)               a tool handler failed in a scripted run
    └── StorageError (8)              a file or folder voicecli needs cannot be created or written
                                      (the data directory, the session log, an output file)

Errors are raised anywhere and rendered once, in ``voicecli.cli``. Each carries a one-line
``message`` and an optional ``hint`` saying what to do about it. This module imports nothing
else of voicecli.
"""

from __future__ import annotations


class VoicecliError(Exception):
    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(VoicecliError):
    exit_code = 2


class PersonaError(VoicecliError):
    """A persona that cannot be loaded. ``problems`` lists every problem found, one per line."""

    exit_code = 2

    def __init__(self, message: str, problems: list[str] | None = None, *, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.problems = problems or []


class AudioError(VoicecliError):
    exit_code = 3


class AuthError(VoicecliError):
    exit_code = 4


class ConversationTimeout(VoicecliError):
    exit_code = 5


class BackendError(VoicecliError):
    exit_code = 6


class ToolFailure(VoicecliError):
    exit_code = 7


class StorageError(VoicecliError):
    exit_code = 8


EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # SIGTERM: 128 + 15, the run ends as on Ctrl-C

"""``python -m voicecli``."""

from voicecli.cli.main import run

run()

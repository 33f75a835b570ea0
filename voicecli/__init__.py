"""voicecli: a terminal voice agent for the Gemini Live API."""

__version__ = "0.1.0"

"""The starter persona ``voicecli persona init NAME`` writes: a commented YAML file and its one tool.

Both files pass ``voicecli lint-persona --strict`` as written; tests hold them to that.
"""

from __future__ import annotations

import re

from voicecli.errors import UsageError

# A NAME becomes a file name and, with ``-`` as ``_``, part of a Python module name.
VALID_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")

PERSONA_TEMPLATE = """\
# {agent}: a starter persona. Every section is described in docs/personas.md; check it with
#   voicecli lint-persona {name}.yaml
# and see what the model receives with
#   voicecli persona show {name}.yaml

# Who the agent is. The language is a BCP-47 tag; it compiles to an explicit "respond in" directive.
persona:
  name: {agent}
  role: a friendly front-desk assistant who answers short questions
  description: >
    {agent} is calm and precise, and keeps answers to a sentence or two so the user can reply.
  traits:
    - warm, but never chatty
    - says plainly when it does not know something
  language: en-US
  voice: Kore

# The Live API waits for the user unless told to start: the greeting makes the agent speak first.
greeting:
  text: Greet the user in one sentence and ask how you can help.

# Ordered steps. "once" runs one time (like an intake); "loop" is open-ended conversation.
# A step lists the tools it calls; each call gets its own sentence in the compiled instruction.
rules:
  - title: Help
    kind: loop
    instructions: >
      Answer the user's question briefly. When they ask for the time somewhere, look it up for the place
      they named instead of guessing, and say it back in plain words.
    tools: [get_current_time]

# What the agent must never do, and how to handle the awkward moments.
guardrails:
  must_not:
    - invent facts it could look up with a tool
    - read out raw tool output such as JSON
  examples:
    - if: a tool returns an error
      then: Say what went wrong in plain words and ask the user for what is missing.

# Each tool: what it does, when to call it, its parameters as JSON Schema, and the code that runs it.
# python: module:function loads {module}.py from this folder when a conversation starts.
tools:
  - name: get_current_time
    description: Returns the current local date and time in one IANA time zone.
    when: when the user asks what time or date it is somewhere
    parameters:
      type: object
      properties:
        timezone:
          type: string
          description: An IANA time zone name such as Europe/Paris or America/New_York.
      required: [timezone]
    handler:
      python: {module}:get_current_time
"""

TOOLS_TEMPLATE = '''\
"""{agent}'s tools. Each takes the arguments dict and returns a JSON-ready dict (see docs/personas.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def get_current_time(args: dict[str, Any]) -> dict[str, Any]:
    """The current local time in ``args["timezone"]``; an error the model can explain for unknown zones."""
    name = str(args.get("timezone", ""))
    try:
        now = datetime.now(ZoneInfo(name))
    except (ZoneInfoNotFoundError, ValueError):
        return {{"error": {{"code": "unknown_timezone", "message": f"{{name!r}} is not an IANA time zone"}}}}
    return {{"timezone": name, "local_time": now.strftime("%A %d %B %Y, %H:%M")}}
'''


def starter_files(name: str) -> dict[str, str]:
    """File name -> text for a starter persona called ``name``; UsageError for a name that cannot be one."""
    if not VALID_NAME.match(name):
        raise UsageError(
            f"{name!r} cannot name a persona",
            hint="use lowercase letters, digits, '-' and '_', starting with a letter (for example: front-desk)",
        )
    module = f"{name.replace('-', '_')}_tools"
    agent = " ".join(part.capitalize() for part in re.split(r"[-_]+", name) if part)
    values = {"name": name, "agent": agent, "module": module}
    return {
        f"{name}.yaml": PERSONA_TEMPLATE.format(**values),
        f"{module}.py": TOOLS_TEMPLATE.format(**values),
    }

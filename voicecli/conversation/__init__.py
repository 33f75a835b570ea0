"""The conversation engine's parts, each with one job.

``turns`` (is the agent replying, epochs, latencies), ``ledger`` (each tool call id runs at most
once), ``supervisor`` (runs, answers and cancels tool calls), ``handoff`` (what one agent passes to
the next), ``assemble`` (the one function that wires a conversation to the Live service, used by
``talk`` and the end-to-end harness alike). ``voicecli.agent.Conversation`` ties them together;
``voicecli.recorder`` writes what happens to the session log.

This package's ``__init__`` imports nothing, so ``voicecli.tools`` can use the ledger.
"""

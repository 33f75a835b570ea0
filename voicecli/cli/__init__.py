"""The command line: Typer lives only here, and this is the one place errors become exit codes."""

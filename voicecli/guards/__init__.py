"""Guards against the Live API's known failure modes: language drift (langid, drift)."""

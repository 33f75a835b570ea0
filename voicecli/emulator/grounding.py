"""Google Search grounding: a deterministic stand-in for what the service sends for a searched answer.

A session whose ``setup.tools`` declares ``googleSearch`` gets, for a turn the generic brain answers by
searching, one ``serverContent.groundingMetadata`` message after the spoken answer and before
``generationComplete``, shaped as ``google.genai.types.GroundingMetadata``: the query in
``webSearchQueries``, a ``searchEntryPoint`` whose ``renderedContent`` is a small HTML chip linking to
the search, two ``groundingChunks`` on reserved example domains, and one ``groundingSupports`` entry
tying the whole answer to both chunks. The same query always gives the same metadata.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import quote_plus

from voicecli.emulator.brain.speech import SEARCH_SOURCES as SOURCES


def slug(query: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", query.lower()).strip("-") or "search"


def grounding_metadata(query: str, answer: str) -> dict[str, Any]:
    """``groundingMetadata`` (camelCase, as the service sends it) for ``answer`` to ``query``."""
    link = f"https://www.google.com/search?q={quote_plus(query)}"
    chip = (f'<div class="container"><div class="chip"><a class="chip" href="{html.escape(link)}">'
            f"{html.escape(query)}</a></div></div>")
    return {
        "webSearchQueries": [query],
        "searchEntryPoint": {"renderedContent": chip},
        "groundingChunks": [
            {"web": {"uri": f"https://{domain}/{slug(query)}", "title": domain, "domain": domain}}
            for domain in SOURCES
        ],
        "groundingSupports": [{
            "segment": {"startIndex": 0, "endIndex": len(answer.encode("utf-8")), "text": answer},
            "groundingChunkIndices": [0, 1],
            "confidenceScores": [0.9, 0.8],
        }],
    }

"""Docstring summaries and parameter descriptions in the three common styles."""

from __future__ import annotations

from voicecli.tools.docstrings import parse_docstring

GOOGLE = '''Look an order up by its number.

    Returns its status and, if asked, its items.

    Args:
        order_id (str): The order number the caller reads out,
            e.g. "A-1042".
        include_items: Whether to list the items too.

    Returns:
        dict: the order.
    '''

NUMPY = '''Look an order up by its number.

    Parameters
    ----------
    order_id : str
        The order number the caller reads out,
        e.g. "A-1042".

    include_items : bool, optional
        Whether to list the items too.

    Returns
    -------
    dict
        the order.
    '''

SPHINX = '''Look an order up by its number.

    :param order_id: The order number the caller reads out,
        e.g. "A-1042".
    :param bool include_items: Whether to list the items too.
    :type order_id: str
    :returns: the order.
    '''

EXPECTED = {
    "order_id": 'The order number the caller reads out, e.g. "A-1042".',
    "include_items": "Whether to list the items too.",
}


def test_google_style() -> None:
    doc = parse_docstring(GOOGLE)
    assert doc.summary == "Look an order up by its number.\n\nReturns its status and, if asked, its items."
    assert doc.params == EXPECTED


def test_numpy_style() -> None:
    doc = parse_docstring(NUMPY)
    assert doc.summary == "Look an order up by its number."
    assert doc.params == EXPECTED


def test_sphinx_style() -> None:
    doc = parse_docstring(SPHINX)
    assert doc.summary == "Look an order up by its number."
    assert doc.params == EXPECTED


def test_prose_only_and_empty() -> None:
    assert parse_docstring("Just   a\n    sentence.").summary == "Just a sentence."
    assert parse_docstring("Just a sentence.").params == {}
    assert parse_docstring(None).summary is None
    assert parse_docstring("   ").summary is None


def test_text_after_a_google_section_is_not_a_parameter() -> None:
    doc = parse_docstring("Summary.\n\nArgs:\n    a: First.\n\nNot a section, more prose.")
    assert doc.params == {"a": "First."}
    assert doc.summary == "Summary.\n\nNot a section, more prose."


def test_attributes_describe_fields() -> None:
    assert parse_docstring("A slot.\n\nAttributes:\n    start: When it starts.").params == {"start": "When it starts."}

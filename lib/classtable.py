"""Tables keyed by class, read the way ``except`` clauses are: the nearest class wins.

Each edge of the send pipeline (the Telecube API, the SMSC API, the panel, the
mail bridge) turns the pipeline's refusals into its own words with one table
from refusal class to answer. Looking up ``type(exc)`` exactly breaks on a
subclass the table does not name; walking the class's method resolution order
finds the entry of its nearest ancestor instead, so a table that names the
base class always has an answer.
"""

from collections.abc import Mapping
from typing import TypeVar

V = TypeVar("V")


def nearest(table: Mapping[type, object], kind: type) -> type | None:
    """The key of ``table`` nearest to ``kind`` in its MRO (``kind`` itself first), or None."""
    for ancestor in kind.__mro__:
        if ancestor in table:
            return ancestor
    return None


def lookup(table: Mapping[type, V], exc: BaseException) -> V:
    """The entry for ``exc``'s class or its nearest ancestor; KeyError if none is named."""
    key = nearest(table, type(exc))
    if key is None:
        raise KeyError(f"no entry for {type(exc).__name__} or any of its ancestors")
    return table[key]

"""Which groups of answers may be published without singling anybody out.

The public results page shows an index per period and per service type. A group of a few
answers (two people served at a rarely used counter in a semester) could be told apart by
staff who know who came, so a group with fewer answers than a minimum is held back. Holding
back one small group is not enough when the period's total is published beside the other
services: total minus the rest gives it away (the answers are sums). So the held-back groups
of a period must together reach the minimum too, or hold none: the smallest published
groups are held back as well until they do (what statisticians call secondary suppression).

Pure: counts in, the groups to publish out.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TypeVar

__all__ = ["publishable_groups"]

K = TypeVar("K", bound=Hashable)


def publishable_groups(counts: Mapping[K, int], minimum: int) -> frozenset[K]:
    """The groups of one published total that may be shown on their own.

    ``counts``: group -> its number of answers (the groups add up to the total); ``minimum``:
    the fewest answers a published figure may rest on (at least 1). A group is shown when it
    has at least ``minimum`` answers and, all groups shown or not, what is held back (and so
    could be worked out from the total) is either nothing or at least ``minimum`` answers.
    Among equal counts the group listed first is kept.
    """
    if minimum < 1:
        raise ValueError(f"minimum must be at least 1, got {minimum!r}")
    order = {key: n for n, key in enumerate(counts)}
    shown = {key for key, n in counts.items() if n >= minimum}
    held = sum(n for key, n in counts.items() if key not in shown)
    # Smallest first; the later listed one first among equals, so the first listed stays.
    for key in sorted(shown, key=lambda k: (counts[k], -order[k])):
        if held == 0 or held >= minimum:
            break
        shown.discard(key)
        held += counts[key]
    return frozenset(shown)

"""The cyclic garbage collector, set for a long-running server.

What a server makes at start (the GraphQL schema, document models, compiled templates,
library modules) lives as long as the process, yet every full collection would walk it all
again; frozen, collections look only at what requests make. Young collections come less
often than CPython's default (700 allocations): a request allocates thousands of objects,
nearly all freed by reference counting before any collection could find them.
"""

import gc

YOUNG = 10_000
OLDER = 20  # collections of one generation before the next older one is collected


def settle() -> None:
    """Leave everything alive now out of later collections, and collect less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG, OLDER, OLDER)

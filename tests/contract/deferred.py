"""What the contract asks for that is not served yet, by the issue that will serve it.

The contract test expects exactly these to be missing: anything else missing or different
fails it, and so does an entry here once it is served (remove it then). Today: nothing.
"""

NOT_YET_SERVED: set[str] = set()

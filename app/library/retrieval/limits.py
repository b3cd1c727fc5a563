"""The bounds of a retrieval request, whichever door it comes in by (GraphQL, /retrieval)."""

from app.platform.errors import Problem

MAX_QUERY = 1_000
MAX_TOP_K = 50
DEFAULT_TOP_K = 5


def check_request(query: str, top_k: int, min_score: float) -> list[Problem]:
    problems = []
    if not 1 <= len(query) <= MAX_QUERY:
        problems.append(Problem(("query",), f"query must be 1 to {MAX_QUERY:,} characters."))
    if not 1 <= top_k <= MAX_TOP_K:
        problems.append(Problem(("topK",), f"topK must be 1 to {MAX_TOP_K}."))
    # Written so that NaN, which compares false to everything, is refused too.
    if not 0 <= min_score <= 1:
        problems.append(Problem(("minScore",), "minScore must be between 0 and 1."))
    return problems

"""POST /retrieval: Dify's External Knowledge API over this API's knowledge bases, so that a
Dify app can use one as external knowledge unchanged.

The request, the answer and the errors are those of Dify's specification: a Bearer key,
`{"knowledge_id", "query", "retrieval_setting": {"top_k", "score_threshold"}}`, an answer
`{"records": [{"content", "score", "title", "metadata"}]}`, and errors as
`{"error_code", "error_msg"}`: 1001 for an Authorization header that is not "Bearer <key>"
and 1002 for a key that is not valid (both 403), 2001 for a knowledge base that does not
exist in the key's workspace (404). A body Dify would never send is 400 with code 4001,
ours. `metadata_condition` is accepted and not applied: sources carry no metadata to filter.
"""

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from app.access.auth import principal_from
from app.access.permissions import Operation
from app.access.principal import Forbidden
from app.library.errors import NotFound
from app.library.retrieval.search import KnowledgePassage
from app.personas.retrieval import search_knowledge_base
from app.platform.errors import InvalidInput
from app.platform.jsonbounds import UnsafeJson, loads
from graphql_schema import ids

BAD_HEADER = 1001
BAD_KEY = 1002
NO_KNOWLEDGE = 2001
BAD_REQUEST = 4001


def _error(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse({"error_code": code, "error_msg": message}, status_code=status)


def _bad_request(message: str) -> JSONResponse:
    return _error(400, BAD_REQUEST, message)


def _record(passage: KnowledgePassage) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "knowledge_base_id": ids.encode("KnowledgeBase", str(passage.knowledge_base_id)),
        "source_id": passage.source_id,
        "start": passage.start,
    }
    if passage.url is not None:
        metadata["url"] = passage.url
    return {
        "content": passage.text,
        "score": passage.score,
        "title": passage.title,
        "metadata": metadata,
    }


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _arguments(body: object) -> tuple[str, str, int, float] | str:
    """(knowledge id, query, top_k, score_threshold), or what is wrong with the body."""
    if not isinstance(body, dict):
        return "The body must be a JSON object."
    knowledge_id, query = body.get("knowledge_id"), body.get("query")
    setting = body.get("retrieval_setting")
    if not isinstance(knowledge_id, str) or not isinstance(query, str):
        return "knowledge_id and query must be strings."
    if not isinstance(setting, dict):
        return "retrieval_setting must be an object with top_k and score_threshold."
    top_k, threshold = setting.get("top_k"), setting.get("score_threshold", 0.0)
    if not isinstance(top_k, int) or isinstance(top_k, bool) or not _number(threshold):
        return "retrieval_setting.top_k must be an integer and score_threshold a number."
    assert isinstance(threshold, int | float)
    return knowledge_id, query, top_k, float(threshold)


async def retrieval(request: Request) -> JSONResponse:
    authorization = request.headers.get("authorization", "")
    scheme, _, key = authorization.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        message = "Invalid Authorization header format. Expected 'Bearer <api-key>' format."
        return _error(403, BAD_HEADER, message)
    actor = await principal_from(authorization)
    if actor is None:
        return _error(403, BAD_KEY, "Authorization failed.")
    try:
        arguments = _arguments(loads(await request.body()))
    except UnsafeJson as unsafe:
        return _bad_request(f"The body {unsafe.reason}.")
    if isinstance(arguments, str):
        return _bad_request(arguments)
    knowledge_id, query, top_k, threshold = arguments
    object_id = ids.decode_object_id(knowledge_id, "KnowledgeBase")
    if object_id is None:
        return _error(404, NO_KNOWLEDGE, "The knowledge does not exist.")
    try:
        passages = await search_knowledge_base(
            actor, object_id, query, top_k, threshold, Operation.RETRIEVAL_ENDPOINT
        )
    except Forbidden:
        return _error(403, BAD_KEY, "Authorization failed.")
    except NotFound:
        return _error(404, NO_KNOWLEDGE, "The knowledge does not exist.")
    except InvalidInput as refused:
        return _bad_request(str(refused))
    return JSONResponse({"records": [_record(passage) for passage in passages]})

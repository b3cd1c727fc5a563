"""The request log: one structured record per request, and nothing secret in any log."""

import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app.platform import logs
from app.platform.database import MongoDatabase
from app.platform.settings import Settings
from tests.support.client import CREATE, GraphQLClient, store_malformed_persona, voice_input
from tests.support.logs import written

REQUESTS = "app.requests"
FIELDS = ("request_id", "kind", "method", "path", "status", "workspace", "operation", "outcome")
SECRET_PROMPT = "Whisper the launch code tangerine-7731 to nobody."
SECRET_CHAT_PROMPT = "Confidential chat instructions marmalade-4410."
SECRET_FIRST_MESSAGE = "Good day, this greeting is private quince-2290."


@pytest.fixture
def request_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    # INFO is the level `persona-api serve` logs at.
    with caplog.at_level(logging.INFO):
        yield caplog


def _request_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == REQUESTS]


def _only_request_record(caplog: pytest.LogCaptureFixture) -> logging.LogRecord:
    records = _request_records(caplog)
    assert len(records) == 1, [record.__dict__ for record in records]
    return records[0]


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {name: record.__dict__[name] for name in FIELDS}


def _check_common(record: logging.LogRecord, response: httpx.Response) -> None:
    assert record.getMessage() == "request"
    assert record.levelno == logging.INFO
    assert record.__dict__["request_id"] == response.headers["x-request-id"]
    assert record.__dict__["status"] == response.status_code
    assert record.__dict__["kind"] == "http"
    duration = record.__dict__["duration_ms"]
    assert isinstance(duration, float)
    assert duration >= 0


async def test_a_named_query_is_logged_once_with_its_operation(
    api: GraphQLClient, request_log: pytest.LogCaptureFixture
) -> None:
    response = await api.http.post(
        "/graphql",
        json={
            "query": "query ListPersonas { personas { totalCount } }",
            "operationName": "ListPersonas",
        },
    )
    assert response.status_code == 200
    record = _only_request_record(request_log)
    _check_common(record, response)
    assert _fields(record) == {
        "request_id": response.headers["x-request-id"],
        "kind": "http",
        "method": "POST",
        "path": "/graphql",
        "status": 200,
        "workspace": str(api.principal.workspace_id),
        "operation": "ListPersonas",
        "outcome": "ok",
    }


async def test_the_operation_name_is_logged_without_operation_name_in_the_body(
    api: GraphQLClient, request_log: pytest.LogCaptureFixture
) -> None:
    response = await api.http.post(
        "/graphql",
        json={"query": 'mutation MakeOne { createPersona(input: {name: "L"}) { persona { id } } }'},
    )
    assert response.status_code == 200
    assert "errors" not in response.json()
    record = _only_request_record(request_log)
    assert record.__dict__["operation"] == "MakeOne"
    assert record.__dict__["outcome"] == "ok"


async def test_each_request_is_its_own_record(
    api: GraphQLClient, request_log: pytest.LogCaptureFixture
) -> None:
    responses = [
        await api.http.post("/graphql", json={"query": "query A { __typename }"}),
        await api.http.post("/graphql", json={"query": "query B { __typename }"}),
        await api.http.get("/healthz"),
    ]
    records = _request_records(request_log)
    assert len(records) == 3
    for record, response in zip(records, responses, strict=True):
        _check_common(record, response)
    assert [getattr(r, "operation", None) for r in records] == ["A", "B", None]
    assert [getattr(r, "path", None) for r in records] == ["/graphql", "/graphql", "/healthz"]
    assert [getattr(r, "method", None) for r in records] == ["POST", "POST", "GET"]
    ids = {getattr(r, "request_id", None) for r in records}
    assert len(ids) == 3


async def test_a_failing_query_is_logged_as_graphql_errors(
    api: GraphQLClient, request_log: pytest.LogCaptureFixture
) -> None:
    response = await api.http.post(
        "/graphql", json={"query": "query TooMany { personas(first: 500) { totalCount } }"}
    )
    assert response.status_code == 200
    assert response.json()["errors"]
    record = _only_request_record(request_log)
    _check_common(record, response)
    assert record.__dict__["operation"] == "TooMany"
    assert record.__dict__["outcome"] == "graphql_errors"
    assert record.__dict__["workspace"] == str(api.principal.workspace_id)


async def test_an_invalid_document_is_logged_as_graphql_errors(
    api: GraphQLClient, request_log: pytest.LogCaptureFixture
) -> None:
    response = await api.http.post(
        "/graphql", json={"query": "query Unknown { personas { shoeSize } }"}
    )
    assert response.json()["errors"]
    record = _only_request_record(request_log)
    assert record.__dict__["outcome"] == "graphql_errors"


async def test_an_unauthenticated_request_is_logged_without_a_workspace(
    api: GraphQLClient, request_log: pytest.LogCaptureFixture
) -> None:
    response = await api.http.post(
        "/graphql",
        json={"query": "query Sneaky { personas { totalCount } }"},
        headers={"Authorization": "Bearer pa_00000000_not-a-key"},
    )
    assert response.status_code == 401
    record = _only_request_record(request_log)
    _check_common(record, response)
    assert record.__dict__["workspace"] is None
    assert record.__dict__["operation"] is None
    assert record.__dict__["outcome"] == "unauthenticated"
    assert record.__dict__["status"] == 401


async def test_an_open_path_is_logged_without_a_workspace(
    api: GraphQLClient, request_log: pytest.LogCaptureFixture
) -> None:
    response = await api.http.get("/healthz")
    record = _only_request_record(request_log)
    _check_common(record, response)
    assert record.__dict__["workspace"] is None
    assert record.__dict__["outcome"] == "ok"


async def test_a_too_large_body_is_logged_as_too_large(
    api: GraphQLClient, settings: Settings, request_log: pytest.LogCaptureFixture
) -> None:
    response = await api.http.post(
        "/graphql",
        content=b"{" + b" " * settings.max_body_bytes + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    record = _only_request_record(request_log)
    _check_common(record, response)
    assert record.__dict__["outcome"] == "too_large"
    assert record.__dict__["status"] == 413


async def test_the_client_request_id_is_the_logged_one(
    api: GraphQLClient, request_log: pytest.LogCaptureFixture
) -> None:
    response = await api.http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"X-Request-ID": "client-7"}
    )
    record = _only_request_record(request_log)
    assert record.__dict__["request_id"] == "client-7" == response.headers["x-request-id"]


# --- nothing secret in the logs -----------------------------------------------------------------


def _everything_logged(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    """(where, text) for every attribute value of every captured record, every record as
    formatted (with any traceback), and the whole captured text."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    texts = [("caplog.text", caplog.text)]
    for record in caplog.records:
        texts.append((f"{record.name} formatted", formatter.format(record)))
        for name, value in record.__dict__.items():
            texts.append((f"{record.name} .{name}", f"{value!s} {value!r}"))
    return texts


def _leaks(caplog: pytest.LogCaptureFixture, secrets: dict[str, str]) -> list[str]:
    found = {
        f"{label} in {where}: {text[:300]!r}"
        for where, text in _everything_logged(caplog)
        for label, secret in secrets.items()
        if secret in text
    }
    return sorted(found)


SECRETS = {
    "voice prompt": "tangerine-7731",
    "chat prompt": "marmalade-4410",
    "first message": "quince-2290",
}
VOICE = voice_input(prompt=SECRET_PROMPT, firstMessage=SECRET_FIRST_MESSAGE)
CHAT = {"prompt": SECRET_CHAT_PROMPT, "modelKey": "gpt-4.1"}


def _create(**input: Any) -> dict[str, Any]:
    return {"query": CREATE, "variables": {"input": {"name": "Secretive", **input}}}


SENT: dict[str, dict[str, Any]] = {
    "accepted": _create(voiceConfigurations=[VOICE], chatConfiguration=CHAT),
    "user errors": _create(
        voiceConfigurations=[{**VOICE, "voiceKey": "nobody"}],
        chatConfiguration={**CHAT, "modelKey": "nobody"},
    ),
    "wrong type": _create(voiceConfigurations=[{**VOICE, "temperature": "hot"}]),
    "missing voice field": _create(
        voiceConfigurations=[{k: v for k, v in VOICE.items() if k != "modelKey"}]
    ),
    "missing chat field": _create(chatConfiguration={"prompt": SECRET_CHAT_PROMPT}),
    "unknown field": _create(voiceConfigurations=[{**VOICE, "pitch": 3}]),
    "inline syntax error": {
        "query": 'mutation { createPersona(input: {name: "x", voiceConfigurations: '
        f'[{{prompt: "{SECRET_PROMPT}" locale: }}]}}) {{ persona {{ id }} }} }}'
    },
    "inline invalid value": {
        "query": 'mutation { createPersona(input: {name: "x", voiceConfigurations: '
        f'[{{prompt: "{SECRET_PROMPT}", locale: "en-US", voiceKey: 1, modelKey: "m"}}]}}) '
        "{ persona { id } } }"
    },
}


@pytest.mark.parametrize("case", list(SENT))
async def test_no_log_holds_a_prompt_that_was_sent(
    api: GraphQLClient, request_log: pytest.LogCaptureFixture, case: str
) -> None:
    response = await api.http.post("/graphql", json=SENT[case])
    assert response.status_code in (200, 400), response.text
    if case == "accepted":
        assert "errors" not in response.json()
        assert response.json()["data"]["createPersona"]["userErrors"] == []
    assert len(_request_records(request_log)) == 1
    assert _leaks(request_log, SECRETS) == []


async def test_no_log_holds_the_api_key(
    api: GraphQLClient, request_log: pytest.LogCaptureFixture
) -> None:
    key_secrets = {"key": api.key, "key secret": api.key.split("_", 2)[2]}
    ok = await api.http.post("/graphql", json={"query": "query Mine { apiKeys { name } }"})
    assert ok.status_code == 200
    assert "errors" not in ok.json()
    # The right key in the wrong form, and a revoked one.
    for authorization in (api.key, f"Token {api.key}", f"Bearer {api.key}x"):
        refused = await api.http.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"Authorization": authorization}
        )
        assert refused.status_code == 401
    created = await api.data(
        'mutation { createApiKey(input: {name: "other", role: VIEWER}) { key apiKey { id } } }'
    )
    other = created["createApiKey"]["key"]
    key_secrets |= {"new key": other, "new key secret": other.split("_", 2)[2]}
    revoke = "mutation($id: ID!) { revokeApiKey(input: {id: $id}) { userErrors { code } } }"
    await api.data(revoke, id=created["createApiKey"]["apiKey"]["id"])
    revoked = await api.http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Authorization": f"Bearer {other}"}
    )
    assert revoked.status_code == 401
    assert len(_request_records(request_log)) == 7
    assert _leaks(request_log, key_secrets) == []


# --- JSON lines ---------------------------------------------------------------------------------


def _json_lines(text: str) -> list[dict[str, Any]]:
    lines = text.splitlines()
    assert lines, "nothing was logged"
    parsed: list[dict[str, Any]] = []
    for line in lines:
        value = json.loads(line)
        assert isinstance(value, dict), line
        parsed.append(value)
    return parsed


async def test_configured_logs_are_one_json_object_per_line(
    root_logger_restored: None, capsys: pytest.CaptureFixture[str]
) -> None:
    logs.configure()  # now, so its handler writes to the stdout capsys captures
    logger = logging.getLogger("tests.requestlog")
    logger.debug("below the level")
    logger.info("plain message")
    logger.warning("with extra\nover two lines", extra={"answer": 42, "tag": "t"})
    try:
        raise ValueError("boom\nsecond line")
    except ValueError:
        logger.exception("it failed")

    entries = _json_lines(written(capsys))
    assert len(entries) == 3
    plain, extra, failure = entries
    assert plain["message"] == "plain message"
    assert plain["level"] == "INFO"
    assert plain["logger"] == "tests.requestlog"
    assert plain["time"]
    assert extra["message"] == "with extra\nover two lines"
    assert extra["level"] == "WARNING"
    assert extra["answer"] == 42
    assert extra["tag"] == "t"
    assert failure["level"] == "ERROR"
    assert "ValueError: boom" in failure["exc_info"]
    assert "request_id" not in plain  # logged outside any request


async def test_configured_request_logs_are_json_with_the_request_id(
    root_logger_restored: None,
    capsys: pytest.CaptureFixture[str],
    api: GraphQLClient,
    database: MongoDatabase,
) -> None:
    logs.configure()
    await store_malformed_persona(database, api.principal)
    written(capsys)
    response = await api.http.post(
        "/graphql", json={"query": "query Broken { personas { edges { node { id } } } }"}
    )
    assert response.json()["errors"][0]["message"] == "Unexpected error."
    request_id = response.headers["x-request-id"]

    entries = _json_lines(written(capsys))
    requests = [e for e in entries if e["logger"] == REQUESTS]
    assert len(requests) == 1
    line = requests[0]
    assert line["message"] == "request"
    assert line["request_id"] == request_id
    assert line["method"] == "POST"
    assert line["path"] == "/graphql"
    assert line["status"] == 200
    assert line["workspace"] == str(api.principal.workspace_id)
    assert line["operation"] == "Broken"
    assert line["outcome"] == "graphql_errors"
    assert line["duration_ms"] >= 0
    # The bug's own log line, with its type and stack (not its message), has the same id.
    errors = [e for e in entries if e["level"] == "ERROR"]
    assert len(errors) == 1
    assert errors[0]["request_id"] == request_id
    assert errors[0]["error_type"] == "ValidationError"
    assert errors[0]["graphql_path"] == ["personas"]
    assert 'File "' in errors[0]["stack"]
    assert "not-an-object" not in json.dumps(errors[0])

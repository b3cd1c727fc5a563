"""A real `serve`: /metrics for a local scraper, and the JSON lines at LOG_LEVEL."""

import json
import re
import subprocess
from pathlib import Path

import httpx

from tests.support.metrics import parse, requests, value
from tests.support.processes import CLI, environment, free_port, graphql, serving

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def _json_lines(lines: list[str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in lines if line.startswith("{")]


def test_a_local_scraper_reads_metrics_without_a_key(tmp_path: Path) -> None:
    with serving(tmp_path) as server:
        graphql(server, "{ voices { key } }")
        response = httpx.get(f"{server.url}/metrics")
        assert response.status_code == 200
        samples = parse(response.text)
        logged = _json_lines(server.lines)
    assert requests(samples, "query", "ok") >= 1
    assert value(samples, "persona_api_database_commands_total") > 0
    assert logged
    for line in logged:
        assert ISO_UTC.match(str(line["time"])), line


def test_log_level_warning_leaves_out_the_request_lines(tmp_path: Path) -> None:
    with serving(tmp_path, LOG_LEVEL="warning") as server:
        graphql(server, "{ voices { key } }")
    levels = {line["level"] for line in _json_lines(server.lines)}
    assert levels <= {"WARNING", "ERROR", "CRITICAL"}, levels


def test_an_invalid_log_level_is_refused_at_start(tmp_path: Path) -> None:
    refused = subprocess.run(
        [*CLI, "serve", "--port", str(free_port()), "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        env=environment(LOG_LEVEL="chatty"),
        timeout=60,
    )
    assert refused.returncode == 2
    (line,) = refused.stderr.strip().splitlines()
    assert line.startswith("persona-api: invalid setting LOG_LEVEL: "), line
    assert "Traceback" not in refused.stdout

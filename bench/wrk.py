"""Driving a read row with wrk: a generated Lua script rotates the requests and reports JSON."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from bench.load import Measurement, RowError, Target

RESULT = "BENCH_RESULT "
SAMPLE = "BENCH_SAMPLE "

# Globals, not locals: `thread:get` in done() reads each thread's globals by name.
SCRIPT = """
requests = {requests}
headers = {headers}
markers = {markers}
local threads = {{}}
local started = 0

function setup(thread)
  thread:set("offset", started)
  started = started + 1
  table.insert(threads, thread)
end

function init(args)
  index = (tonumber(offset) or 0) * {spread}
  failures = 0
  sample = ""
end

function request()
  index = index + 1
  local r = requests[(index % #requests) + 1]
  return wrk.format(r[1], r[2], headers, r[3])
end

function response(status, response_headers, body)
  local failed = status ~= 200
  if not failed then
    for _, marker in ipairs(markers) do
      if string.find(body, marker, 1, true) then failed = true break end
    end
  end
  if failed then
    failures = failures + 1
    if sample == "" then sample = status .. " " .. string.sub(body, 1, 200) end
  end
end

function done(summary, latency, requests_done)
  local failed, first = 0, ""
  for _, thread in ipairs(threads) do
    failed = failed + (thread:get("failures") or 0)
    if first == "" then first = thread:get("sample") or "" end
  end
  local e = summary.errors
  io.write(string.format(
    '{result}{{"requests":%d,"duration_us":%d,"socket_errors":%d,"failures":%d,'
    .. '"p50_us":%d,"p99_us":%d}}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, failed,
    latency:percentile(50), latency:percentile(99)))
  io.write("{sample}" .. string.gsub(first, "[\\r\\n]", " ") .. "\\n")
end
"""


def available() -> bool:
    return shutil.which("wrk") is not None


def version() -> str:
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    found = re.search(r"\d+\.\d+\.\d+", done.stdout + done.stderr)
    return f"wrk {found[0]}" if found else "wrk"


def lua_string(text: str | bytes | None) -> str:
    if text is None:
        return "nil"
    data = text.encode() if isinstance(text, str) else text
    out = []
    for byte in data:
        char = chr(byte)
        if char in '"\\' or not (32 <= byte < 127):
            out.append(f"\\{byte:03d}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def script(target: Target, connections: int) -> str:
    requests = ",\n  ".join(
        f"{{{lua_string(r.method)}, {lua_string(r.path)}, {lua_string(r.body)}}}"
        for r in target.requests
    )
    headers = {"Content-Type": "application/json", **target.headers}
    return SCRIPT.format(
        requests="{\n  " + requests + "\n}",
        headers="{"
        + ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items())
        + "}",
        markers="{" + ", ".join(lua_string(m) for m in target.error_markers) + "}",
        spread=max(1, len(target.requests) // max(1, connections)),
        result=RESULT,
        sample=SAMPLE,
    )


def run(target: Target, connections: int, seconds: float, workdir: Path) -> Measurement:
    """Run wrk against `target` for `seconds` with `connections` keep-alive connections."""
    lua = workdir / "bench.lua"
    lua.write_text(script(target, connections))
    threads = max(1, min(connections, os.cpu_count() or 1))
    command = [
        "wrk",
        *("-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s"),
        *("--timeout", "60s", "-s", str(lua)),
        target.base_url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120)
    lines = done.stdout.splitlines()
    results = [line[len(RESULT) :] for line in lines if line.startswith(RESULT)]
    if done.returncode != 0 or not results:
        output = (done.stderr or done.stdout).strip().replace("\n", " ")
        raise RowError(f"wrk exited with code {done.returncode}: {output[:300]}")
    data = json.loads(results[-1])
    samples = [line[len(SAMPLE) :] for line in lines if line.startswith(SAMPLE)]
    errors = int(data["socket_errors"]) + int(data["failures"])
    return Measurement(
        requests=int(data["requests"]),
        seconds=int(data["duration_us"]) / 1e6,
        errors=errors,
        p50_ms=int(data["p50_us"]) / 1000,
        p99_ms=int(data["p99_us"]) / 1000,
        tool="wrk",
        sample_error=(samples[-1].strip() or None) if samples and errors else None,
    )

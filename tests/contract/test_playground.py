"""The GraphiQL playground, opened in headless Chromium like a person would."""

import json
import shutil
import urllib.parse
from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from app.platform.embedded import EmbeddedDatabase
from tests.support.processes import serving

CHROMIUM = shutil.which("chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (make test installs it as root)"
)


async def test_a_query_run_from_the_playground_shows_its_result(
    tmp_path: Path, mongo_server: EmbeddedDatabase
) -> None:
    query = "{ languageModels(channel: CHAT) { key maxOutputTokens } }"
    with serving(tmp_path, MONGODB_URI=mongo_server.uri) as server:
        url = server.url
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_FLAGS
            )
            try:
                page = await browser.new_page()
                failed: list[str] = []
                page.on("requestfailed", lambda request: failed.append(request.url))
                headers = json.dumps({"Authorization": f"Bearer {server.key}"})
                params = urllib.parse.urlencode(
                    {"q": query, "headers": headers}, quote_via=urllib.parse.quote
                )
                await page.goto(f"{url}/graphql?{params}")
                await page.locator(".graphiql-execute-button").click()
                response = page.locator(".graphiql-response")
                await response.get_by_text('"claude-sonnet-4"').wait_for(timeout=15_000)
                text = await response.inner_text()
                await page.screenshot(path=tmp_path / "playground.png")
            finally:
                await browser.close()
    assert '"maxOutputTokens": 8192' in text
    assert failed == []

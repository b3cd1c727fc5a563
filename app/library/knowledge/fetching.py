"""Fetching a URL source's page as text, with the bounds that keep it from being an SSRF.

Redirects are followed here, not by httpx, so that each hop's URL is checked (http or
https, no credentials) and its host's addresses too, by the pinned transport, before a
connection; at most three. One deadline covers the whole fetch, redirects and every byte:
a server that drips bytes keeps it no longer than that. Bodies are counted as they
arrive, decoded: a Content-Length (or a small compressed body) is not believed.
"""

import asyncio
import codecs
import re

import httpx
from inscriptis import get_text

from app.library.knowledge.addresses import AddressPolicy, FetchRefused, PinnedTransport
from app.platform.quoting import quoted

DEADLINE_SECONDS = 10.0
MAX_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 3
REDIRECTS = frozenset({301, 302, 303, 307, 308})
HTML = frozenset({"text/html", "application/xhtml+xml"})
PLAIN = frozenset({"text/plain", "text/markdown"})
HEADERS = {
    "User-Agent": "persona-api knowledge fetcher",
    "Accept": "text/html, application/xhtml+xml, text/plain;q=0.9, text/markdown;q=0.9",
}
_BLANK_LINES = re.compile(r"\n{3,}")


class PageFetcher:
    """Fetches pages for URL sources; `deadline` and the bounds are parameters for tests."""

    def __init__(
        self,
        policy: AddressPolicy,
        deadline: float = DEADLINE_SECONDS,
        max_bytes: int = MAX_BYTES,
        max_redirects: int = MAX_REDIRECTS,
    ) -> None:
        self.policy = policy
        self.deadline = deadline
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects

    async def fetch(self, url: str) -> str:
        """The page's text; FetchRefused with a readable reason for anything else."""
        try:
            async with asyncio.timeout(self.deadline):
                return await self._follow(url)
        except TimeoutError:
            raise FetchRefused(f"The fetch took longer than {self.deadline:g} s in all.") from None
        except httpx.HTTPError as error:
            # Connection refused, TLS, protocol errors: the kind of error, never its URL.
            raise FetchRefused(f"The page could not be fetched ({type(error).__name__}).") from None

    async def _follow(self, url: str) -> str:
        timeout = httpx.Timeout(self.deadline)
        async with httpx.AsyncClient(
            transport=PinnedTransport(self.policy),
            headers=HEADERS,
            timeout=timeout,
            trust_env=False,  # no proxy, netrc or certificate settings from the environment
        ) as client:
            current = _checked(url)
            for hop in range(self.max_redirects + 1):
                async with client.stream("GET", current) as response:
                    location = response.headers.get("location")
                    if response.status_code in REDIRECTS and location:
                        if hop == self.max_redirects:
                            raise FetchRefused(f"More than {self.max_redirects} redirects.")
                        current = _checked(current.join(location), location)
                        continue
                    if not response.is_success:
                        raise FetchRefused(f"The server answered {response.status_code}.")
                    return await self._text(response)
        raise AssertionError("unreachable: the last hop returns or raises")

    async def _text(self, response: httpx.Response) -> str:
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if media not in HTML | PLAIN:
            kind = quoted(media) if media else "of no declared type"
            raise FetchRefused(f"The page is {kind}: only HTML and plain text are read.")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise FetchRefused(self._too_large())
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > self.max_bytes:
                raise FetchRefused(self._too_large())
        decoded = bytes(body).decode(_charset(response), errors="replace")
        # A large page takes a while to parse: not on the event loop.
        text = await asyncio.to_thread(_html_text, decoded) if media in HTML else decoded
        text = _BLANK_LINES.sub("\n\n", "\n".join(line.rstrip() for line in text.splitlines()))
        if not text.strip():
            raise FetchRefused("The page holds no text.")
        return text.strip()

    def _too_large(self) -> str:
        return f"The page is larger than {self.max_bytes / (1024 * 1024):g} MB."


def _checked(url: str | httpx.URL, said: str | None = None) -> httpx.URL:
    """`url` if a fetch may ask for it (its addresses are the transport's to check);
    refusals quote it as `said`, the Location a redirect gave."""
    said = str(url) if said is None else said
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        raise FetchRefused(f"{quoted(said)} is not a valid URL.") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise FetchRefused(f"{quoted(said)} is not an http:// or https:// URL: refused.")
    if parsed.userinfo:
        raise FetchRefused("A URL carrying a user name or password: refused.")
    return parsed


def _html_text(html: str) -> str:
    try:
        text: str = get_text(html)
    except Exception:  # lxml or the renderer choking on hostile markup: a refusal, not a 500
        raise FetchRefused("The page's HTML could not be read.") from None
    return text


def _charset(response: httpx.Response) -> str:
    charset = response.charset_encoding or "utf-8"
    try:
        codecs.lookup(charset)
    except LookupError:
        return "utf-8"
    return charset

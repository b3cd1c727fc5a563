"""The page fetcher of URL sources: text out of HTML, and every SSRF bound it keeps."""

import ipaddress
from urllib.parse import quote

import pytest

from app.library.knowledge.addresses import AddressPolicy, FetchRefused
from app.library.knowledge.fetching import DEADLINE_SECONDS, MAX_BYTES, PageFetcher
from tests.support.pages import (
    FAQ_TEXT,
    OVERSIZED,
    Page,
    PublicStandIn,
    html,
    plain,
    serve_pages,
)

ALLOWED = AddressPolicy(allow_private=True)  # KNOWLEDGE_FETCH_ALLOW_PRIVATE=true
STRICT = AddressPolicy()


async def _refusal(fetcher: PageFetcher, url: str) -> str:
    with pytest.raises(FetchRefused) as refused:
        await fetcher.fetch(url)
    return str(refused.value)


async def test_html_becomes_its_text_and_plain_text_stays_as_it_is() -> None:
    async with serve_pages() as server:
        server.pages["/faq.html"] = html()
        server.pages["/ar.txt"] = plain("ساعات العمل: من التاسعة إلى الخامسة")
        latin = "<p>Caf\xe9 cr\xe8me</p>".encode("iso-8859-1")
        server.pages["/latin.html"] = Page(latin, "text/html; charset=iso-8859-1")
        fetcher = PageFetcher(ALLOWED)
        assert await fetcher.fetch(server.url("/faq.html")) == FAQ_TEXT
        assert await fetcher.fetch(server.url("/ar.txt")) == "ساعات العمل: من التاسعة إلى الخامسة"
        assert await fetcher.fetch(server.url("/latin.html")) == "Café crème"
        by_name = server.url("/faq.html").replace("127.0.0.1", "localhost")
        assert await fetcher.fetch(by_name) == FAQ_TEXT
    # Connected to the checked address, but the server was asked for the host by its name.
    assert server.requests[-1] == ("/faq.html", by_name.split("/")[2])


def test_the_policy_refuses_internal_addresses_and_the_setting_lifts_only_some() -> None:
    lifted = ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1", "10.0.0.1", "172.16.5.4"]
    lifted += ["192.168.1.1", "100.64.0.1", "fc00::1", "fd12:3456::1", "::ffff:10.1.2.3"]
    never = ["169.254.169.254", "fd00:ec2::254", "100.100.100.200", "169.254.1.1", "fe80::1"]
    never += ["0.0.0.0", "::", "224.0.0.1", "ff02::1", "192.0.2.1", "240.0.0.1"]
    public = ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"]
    for text in lifted:
        address = ipaddress.ip_address(text)
        assert STRICT.refusal(address) is not None, text
        assert ALLOWED.refusal(address) is None, text
    for text in never:
        address = ipaddress.ip_address(text)
        assert STRICT.refusal(address) is not None, text
        assert ALLOWED.refusal(address) is not None, text
    for text in public:
        assert STRICT.refusal(ipaddress.ip_address(text)) is None, text
    assert STRICT.refusal(ipaddress.ip_address("169.254.169.254")) == "a cloud metadata address"
    assert ALLOWED.refusal(ipaddress.ip_address("fe80::1")) == "a link-local address"


async def test_loopback_and_private_addresses_are_refused_without_the_setting() -> None:
    async with serve_pages() as server:
        server.pages["/faq.html"] = html()
        fetcher = PageFetcher(STRICT)
        reason = await _refusal(fetcher, server.url("/faq.html"))
        assert reason == (
            "127.0.0.1 is a loopback address (KNOWLEDGE_FETCH_ALLOW_PRIVATE is off): refused."
        )
        by_name = server.url("/faq.html").replace("127.0.0.1", "localhost")
        assert "The host 'localhost' is at " in await _refusal(fetcher, by_name)
        assert "loopback address" in await _refusal(fetcher, by_name.replace("localhost", "[::1]"))
        # Refused before any connection: nothing is sent to 10.0.0.1.
        private = await _refusal(fetcher, "https://10.0.0.1/faq.html")
        assert private == (
            "10.0.0.1 is a private address (KNOWLEDGE_FETCH_ALLOW_PRIVATE is off): refused."
        )
        assert "private address" in await _refusal(fetcher, "http://192.168.1.1:8080/")
        assert server.requests == []  # not one request reached the page


async def test_a_redirect_to_loopback_from_an_allowed_host_is_refused() -> None:
    async with serve_pages("127.0.0.2") as public, serve_pages() as internal:
        internal.pages["/secret"] = plain("internal only")
        public.pages["/faq.html"] = html()
        fetcher = PageFetcher(PublicStandIn())
        assert await fetcher.fetch(public.url("/faq.html")) == FAQ_TEXT
        hop = public.url("/redirect?to=" + quote(internal.url("/secret"), safe=""))
        reason = await _refusal(fetcher, hop)
        assert "127.0.0.1 is a loopback address" in reason
        assert await _refusal(fetcher, internal.url("/secret")) == reason
    assert [path for path, _ in public.requests] == ["/faq.html", "/redirect"]
    assert internal.requests == []


async def test_link_local_and_metadata_addresses_stay_refused_with_the_setting() -> None:
    fetcher = PageFetcher(ALLOWED)
    async with serve_pages() as server:
        metadata = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
        hop = server.url("/redirect?to=" + quote(metadata, safe=""))
        reason = await _refusal(fetcher, hop)
        assert reason == "169.254.169.254 is a cloud metadata address: refused."
        for url, kind in (
            ("http://169.254.10.1/", "a link-local address"),
            ("http://[fe80::1]:8080/", "a link-local address"),
            ("http://100.100.100.200/latest/meta-data/", "a cloud metadata address"),
            ("http://[fd00:ec2::254]/latest/meta-data/", "a cloud metadata address"),
            ("http://0.0.0.0:8080/", "not a host's address"),
        ):
            assert kind in await _refusal(fetcher, url), url
    assert [path for path, _ in server.requests] == ["/redirect"]


async def test_at_most_three_redirects_are_followed() -> None:
    async with serve_pages() as server:
        server.pages["/faq.html"] = html()
        fetcher = PageFetcher(ALLOWED)
        assert await fetcher.fetch(server.url("/chain/3")) == FAQ_TEXT
        server.requests.clear()
        assert await _refusal(fetcher, server.url("/chain/4")) == "More than 3 redirects."
        assert [path for path, _ in server.requests] == [f"/chain/{n}" for n in (4, 3, 2, 1)]
        for target in ("file:///etc/passwd", "ftp://files.example.com/faq", "gopher://x:70/"):
            hop = server.url("/redirect?to=" + quote(target, safe=""))
            reason = await _refusal(fetcher, hop)
            assert reason == f"{target!r} is not an http:// or https:// URL: refused."
        with_password = server.url("/faq.html").replace("//", "//user:hunter2@")
        reason = await _refusal(fetcher, with_password)
        assert "hunter2" not in reason


async def test_bodies_over_5_mb_are_refused_whatever_their_headers_say() -> None:
    async with serve_pages() as server:
        server.pages["/exact.txt"] = plain("a" * MAX_BYTES)
        server.pages["/over.txt"] = plain("a" * OVERSIZED)
        fetcher = PageFetcher(ALLOWED)
        assert len(await fetcher.fetch(server.url("/exact.txt"))) == MAX_BYTES
        too_large = "The page is larger than 5 MB."
        assert await _refusal(fetcher, server.url("/over.txt")) == too_large
        # No Content-Length, then one far below the body it decodes to.
        assert await _refusal(fetcher, server.url(f"/chunked?length={OVERSIZED}")) == too_large
        assert await _refusal(fetcher, server.url(f"/bomb?length={OVERSIZED}")) == too_large
        assert len(await fetcher.fetch(server.url(f"/bomb?length={MAX_BYTES}"))) == MAX_BYTES


async def test_a_server_dripping_bytes_is_cut_at_the_deadline_of_the_whole_fetch() -> None:
    assert PageFetcher(STRICT).deadline == DEADLINE_SECONDS == 10.0
    async with serve_pages() as server:
        # Every byte comes well within any read timeout; the whole takes 10 s.
        fetcher = PageFetcher(ALLOWED, deadline=1.0)
        late = "The fetch took longer than 1 s in all."
        assert await _refusal(fetcher, server.url("/drip")) == late
        # The deadline covers redirects too: the drip behind one is cut the same.
        assert await _refusal(fetcher, server.url("/redirect?to=/drip")) == late


async def test_other_answers_are_refused_with_what_went_wrong() -> None:
    async with serve_pages() as server:
        server.pages["/gone"] = Page(b"gone", "text/plain", status=410)
        server.pages["/broken"] = Page(b"oops", "text/html", status=500)
        server.pages["/file.pdf"] = Page(b"%PDF-1.7", "application/pdf")
        server.pages["/blank.html"] = html("<html><body>  <script>x()</script> </body></html>")
        fetcher = PageFetcher(ALLOWED)
        for path, reason in (
            ("/missing", "The server answered 404."),
            ("/gone", "The server answered 410."),
            ("/broken", "The server answered 500."),
            ("/file.pdf", "The page is 'application/pdf': only HTML and plain text are read."),
            ("/blank.html", "The page holds no text."),
        ):
            assert await _refusal(fetcher, server.url(path)) == reason, path
        closed = server.url("/").replace(server.base.rsplit(":", 1)[1], "1")
        assert await _refusal(fetcher, closed) == "The page could not be fetched (ConnectError)."


async def test_a_refusal_quotes_at_most_100_characters_of_a_url() -> None:
    fetcher = PageFetcher(STRICT)
    for url in ("ftp://example.com/" + "x" * 5_000, "http://127.0.0.1/" + "x" * 5_000):
        reason = await _refusal(fetcher, url)
        assert "x" * 101 not in reason, reason
        assert len(reason) < 200, reason

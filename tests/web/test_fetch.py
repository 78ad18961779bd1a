"""The HTTP client against a local site: caps, redirects, retries, robots.txt, the guard."""

from __future__ import annotations

import pytest

from index.web.fetch import MAX_REDIRECTS, Fetcher, FetchError, retry_after
from tests.web.fixtures import web_config
from tests.web.server import Reply, Site


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def fetcher(sleeps) -> Fetcher:
    with Fetcher(web_config(), sleep=sleeps.append) as f:
        yield f


def test_a_page_arrives_with_a_clear_user_agent(site: Site, fetcher):
    url = site.put("/a", Reply(b"<html>hi</html>", etag='"v1"'))
    r = fetcher.get(url)
    assert (r.status, r.body, r.content_type, r.etag) == (
        200,
        b"<html>hi</html>",
        "text/html",
        '"v1"',
    )
    ua = site.requests[-1].headers["user-agent"]
    assert ua.startswith("newsdesk/") and "question-answering bot" in ua


def test_the_operators_contact_goes_into_the_user_agent(site: Site):
    url = site.put("/a", Reply(b"<html>hi</html>"))
    with Fetcher(web_config(contact="https://example.org/bot")) as f:
        f.get(url)
    assert site.requests[-1].headers["user-agent"].endswith("(+https://example.org/bot)")


def test_conditional_get_answers_not_modified_without_a_body(site, fetcher):
    url = site.put("/feed", Reply(b"<rss/>", etag='"v1"'))
    assert fetcher.get(url, etag='"v1"').status == 304
    assert site.requests[-1].headers["if-none-match"] == '"v1"'
    site.put("/feed", Reply(b"<rss>new</rss>", etag='"v2"'))  # it changed
    r = fetcher.get(url, etag='"v1"')
    assert (r.status, r.etag) == (200, '"v2"')


def test_a_slow_response_times_out(site, sleeps):
    url = site.put("/slow", Reply(b"late", delay=1.5))
    with (
        Fetcher(web_config(timeout_seconds=0.3), sleep=sleeps.append) as f,
        pytest.raises(FetchError, match="timed out"),
    ):
        f.get(url)


def test_a_body_that_trickles_in_is_cut_off_at_the_time_limit(site, sleeps):
    """Each byte comes well within the read timeout; the whole takes too long."""
    url = site.put("/drip", Reply(b"<html>" + b"x" * 200 + b"</html>", drip=0.02))
    with (
        Fetcher(web_config(timeout_seconds=0.5), sleep=sleeps.append) as f,
        pytest.raises(FetchError, match=r"took over 0\.5 s"),
    ):
        f.get(url)


def test_500s_are_retried_with_backoff_then_given_up(site, fetcher, sleeps):
    url = site.put("/broken", Reply(b"oops", 500))
    with pytest.raises(FetchError, match="HTTP 500") as exc:
        fetcher.get(url)
    assert exc.value.status == 500
    assert site.hits("/broken") == 3  # one try and web.retries (2) more
    assert sleeps == [0.01, 0.02]  # doubling from web.retry_backoff_seconds


def test_a_500_that_recovers_is_read(site, fetcher):
    answers = iter([Reply(b"", 503), Reply(b"<html>back</html>")])
    url = site.put("/flaky", lambda req: next(answers))
    assert fetcher.get(url).body == b"<html>back</html>"


def test_429_waits_as_long_as_retry_after_says(site, fetcher, sleeps):
    answers = iter([Reply(b"", 429, headers={"Retry-After": "7"}), Reply(b"ok")])
    url = site.put("/busy", lambda req: next(answers))
    assert fetcher.get(url).body == b"ok"
    assert sleeps == [7.0]


def test_a_retry_after_past_the_limit_is_left_for_the_next_sync(site, fetcher, sleeps):
    url = site.put("/busy", Reply(b"", 429, headers={"Retry-After": "3600"}))
    with pytest.raises(FetchError, match="max_retry_after_seconds"):
        fetcher.get(url)
    assert site.hits("/busy") == 1 and sleeps == []


def test_retry_after_as_an_http_date():
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470.0) == pytest.approx(10.0)
    assert retry_after("soon", 0) is None and retry_after("", 0) is None


def test_redirects_are_followed_up_to_five(site, fetcher):
    for n in range(MAX_REDIRECTS):
        site.put(f"/r{n}", Reply(b"", 302, headers={"Location": f"/r{n + 1}"}))
    site.put(f"/r{MAX_REDIRECTS}", Reply(b"<html>end</html>"))
    r = fetcher.get(site.url("/r0"))
    assert r.body == b"<html>end</html>" and r.url == site.url(f"/r{MAX_REDIRECTS}")
    with pytest.raises(FetchError, match="more than 5 redirects"):
        site.put("/r-1", Reply(b"", 301, headers={"Location": "/r0"}))
        fetcher.get(site.url("/r-1"))


def test_a_redirect_loop_ends(site, fetcher):
    site.put("/loop", Reply(b"", 302, headers={"Location": "/loop"}))
    with pytest.raises(FetchError, match="redirects"):
        fetcher.get(site.url("/loop"))
    assert site.hits("/loop") == MAX_REDIRECTS + 1


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://10.0.0.7/admin",  # private
        "http://[::1]:8080/",  # loopback, IPv6
        "http://localhost:{port}/secret",  # loopback by a name that is not allowed
        "file:///etc/passwd",
    ],
)
def test_a_redirect_to_a_private_address_is_refused(site, fetcher, target):
    site.put("/secret", Reply(b"the keys"))
    site.put("/go", Reply(b"", 302, headers={"Location": target.format(port=site.port)}))
    with pytest.raises(FetchError, match=r"non-public|only http"):
        fetcher.get(site.url("/go"))
    assert site.hits("/secret") == 0


def test_loopback_is_refused_unless_allowed(site, sleeps):
    url = site.put("/a", Reply(b"hi"))
    with (
        Fetcher(web_config(allow_hosts=[]), sleep=sleeps.append) as f,
        pytest.raises(FetchError, match="non-public address"),
    ):
        f.get(url)
    assert site.requests == []


def test_the_connection_itself_is_guarded(site, sleeps):
    """Even past the check before the request (a name that resolves anew), the socket
    only dials addresses the guard allows."""
    url = site.put("/a", Reply(b"hi"))
    with (
        Fetcher(web_config(allow_hosts=[]), sleep=sleeps.append) as f,
        pytest.raises(FetchError, match="refused"),
    ):
        f._once(url, {}, 1000)
    assert site.requests == []


def test_a_50_mb_page_is_cut_off_at_the_cap(site, fetcher):
    url = site.put("/huge", Reply(b"<html>", stream=50_000_000))
    with pytest.raises(FetchError, match="over the 2000000-byte cap"):
        fetcher.get(url)
    declared = site.put("/declared", Reply(b"x" * 3_000_000))
    with pytest.raises(FetchError, match="3000000 bytes, over"):
        fetcher.get(declared)


def test_a_compressed_body_that_expands_past_the_cap_is_refused(site, fetcher):
    bomb = b"<html>" + b"\0" * 40_000_000  # gzips to about 40 KB
    url = site.put("/bomb", Reply(bomb, gzip=True))
    with pytest.raises(FetchError, match="as decompressed"):
        fetcher.get(url)
    small = site.put("/small", Reply(b"<html>fine</html>", gzip=True))
    assert fetcher.get(small).body == b"<html>fine</html>"


def test_robots_txt_is_respected_and_read_once_per_host(site, fetcher):
    site.put(
        "/robots.txt", Reply(b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    )
    site.put("/private/x", Reply(b"no"))
    site.put("/public", Reply(b"yes"))
    with pytest.raises(FetchError, match=r"robots\.txt disallows"):
        fetcher.get(site.url("/private/x"))
    assert fetcher.get(site.url("/public")).body == b"yes"
    assert site.hits("/private/x") == 0 and site.hits("/robots.txt") == 1


def test_a_robots_txt_that_fails_stops_the_host_and_a_missing_one_allows_it(site, fetcher):
    site.put("/robots.txt", Reply(b"", 500))
    site.put("/a", Reply(b"hi"))
    with pytest.raises(FetchError, match=r"robots\.txt .* answered HTTP 500"):
        fetcher.get(site.url("/a"))
    assert site.hits("/a") == 0
    with Fetcher(web_config(), sleep=lambda s: None) as fresh:
        site.put("/robots.txt", Reply(b"", 404))
        assert fresh.get(site.url("/a")).body == b"hi"


def test_one_request_at_a_time_per_host_with_a_pause(site):
    clock = [100.0]
    waits: list[float] = []

    def sleep(s: float) -> None:
        waits.append(round(s, 3))
        clock[0] += s

    url = site.put("/a", Reply(b"hi"))
    with Fetcher(web_config(host_delay_seconds=5.0), sleep=sleep, clock=lambda: clock[0]) as f:
        f.get(url)  # robots.txt, then the page: a pause between them
        f.get(url)
    assert waits == [5.0, 5.0]

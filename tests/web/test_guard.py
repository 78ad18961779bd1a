"""The SSRF guard: which addresses a URL may lead to."""

from __future__ import annotations

import pytest

from index.web.guard import Refused, check_url


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/", "http://localhost:8080/", "http://[::1]/",
        "http://10.1.2.3/", "http://172.16.0.9/", "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/",
        "http://100.64.0.1/", "http://0.0.0.0/", "http://[::ffff:127.0.0.1]/",
        "http://224.0.0.1/", "http://240.0.0.1/",
    ],
)  # fmt: skip
def test_non_public_addresses_are_refused(url):
    with pytest.raises(Refused, match="non-public"):
        check_url(url, allowed=set())


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com/x", "gopher://x/", "http:///nohost"]
)
def test_only_http_urls_with_a_host(url):
    with pytest.raises(Refused, match=r"only http|no host"):
        check_url(url, allowed=set())


def test_an_allowed_host_may_be_loopback_and_only_that_host():
    check_url("http://127.0.0.1:9/feed", allowed={"127.0.0.1"})
    with pytest.raises(Refused):
        check_url("http://localhost:9/feed", allowed={"127.0.0.1"})


def test_public_addresses_pass():
    check_url("http://93.184.215.14/", allowed=set())
    check_url("https://[2606:4700::1111]/", allowed=set())


def test_a_name_that_does_not_resolve_is_refused():
    with pytest.raises(Refused, match="cannot resolve"):
        check_url("http://no-such-host.invalid/", allowed=set())


def test_credentials_in_a_url_are_never_shown():
    from index.web.guard import redact

    text = "HTTP 401 from https://ed:s3cret@feeds.example/private.xml and http://a@b/c"
    assert redact(text) == "HTTP 401 from https://feeds.example/private.xml and http://b/c"

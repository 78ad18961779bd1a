"""Sources by URL: feeds, sitemaps and article pages fetched politely and safely.

`sync` turns the registered URL inputs into Documents for a build; `fetch` is the one
HTTP client (SSRF guard, robots.txt, per-host politeness, retries, size cap)."""

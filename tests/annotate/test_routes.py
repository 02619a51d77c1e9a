"""Every route is reachable: a URL built for it resolves back to it, so no earlier pattern (in
this capability or in one included before it) shadows it. The one known shadow is by design:
a clip named "next" is reached by the clip's own links, not by /annotate/next/."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

SAMPLES = {"slug": "demo-project", "int": 7, "str": "clip_0001.mp4", "path": "clips/a/b.mp4"}
KINDS = {"SlugConverter": "slug", "IntConverter": "int", "StringConverter": "str"}


def _named(patterns, converters=None):
    for pattern in patterns:
        found = {**(converters or {}), **pattern.pattern.converters}
        if isinstance(pattern, URLResolver):
            if pattern.namespace:  # the admin: its own routes, not ours
                continue
            yield from _named(pattern.url_patterns, found)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield pattern.name, pattern.pattern, found


ROUTES = sorted({(name, str(pattern)) for name, pattern, _ in _named(get_resolver().url_patterns)})


def test_there_are_routes_to_check():
    assert len(ROUTES) > 100  # 107 named routes of ours on 2026-12-06


@pytest.mark.parametrize("name", sorted({name for name, _ in ROUTES}))
def test_a_url_built_for_a_route_resolves_back_to_it(name):
    checked = 0
    for route_name, _pattern, converters in _named(get_resolver().url_patterns):
        if route_name != name:
            continue
        # The converters of the whole route (includes too): sample each parameter.
        kwargs = {
            key: SAMPLES[KINDS.get(type(converter).__name__, "path")]
            for key, converter in converters.items()
        }
        url = reverse(name, kwargs=kwargs)
        assert resolve(url).url_name == name, f"{url} resolves to {resolve(url).url_name}"
        checked += 1
    assert checked

"""URLs for pages that draw hundreds of rows. `{% cue_action_url slug clip_name cue.pk 'accept' %}`
gives what `{% url 'timeline-cue-action' slug clip_name cue.pk 'accept' %}` gives, but reverses
the route once per clip and action in a process instead of once per row: a timeline with 300
cues draws about 1,500 of these, each reverse() costs about 60 µs (bench/web.py), and even a cue
save's one row needs five."""

from functools import lru_cache

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse

register = template.Library()


@lru_cache(maxsize=4096)
def _head_and_tail(prefix: str, urlconf, slug: str, clip_name: str, action: str) -> tuple[str, str]:
    """The URL around the cue id. The key holds what reverse() depends on besides its
    arguments: the script prefix and the request's urlconf (both per thread)."""
    url = reverse("timeline-cue-action", urlconf=urlconf, args=[slug, clip_name, 0, action])
    head, _, tail = url.rpartition(f"/0/{action}/")
    return head + "/", f"/{action}/" + tail


@register.simple_tag(takes_context=True)
def cue_action_url(context, slug: str, clip_name: str, cue_id: int, action: str) -> str:
    # Per render, a dict in the render context's bottom layer, which every {% include %} of one
    # render shares, those with `only` too (their context is a copy whose render context holds
    # the same dicts): the thread-locals that the process-wide cache is keyed on cost more than
    # the lookup.
    cache = context.render_context.dicts[0].setdefault("_cue_action_urls", {})
    key = (slug, clip_name, action)
    if key not in cache:
        cache[key] = _head_and_tail(get_script_prefix(), get_urlconf(), slug, clip_name, action)
    head, tail = cache[key]
    return f"{head}{int(cue_id)}{tail}"

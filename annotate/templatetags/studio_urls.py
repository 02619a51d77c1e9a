"""URLs for pages that draw hundreds of rows. `{% cue_action_url slug clip_name cue.pk 'accept' %}`
gives what `{% url 'timeline-cue-action' slug clip_name cue.pk 'accept' %}` gives, but reverses
the route once per page render and action instead of once per row: a timeline with 300 cues
draws about 1,500 of these, and each reverse() costs about 60 µs (bench/web.py)."""

from django import template
from django.urls import reverse

register = template.Library()


@register.simple_tag(takes_context=True)
def cue_action_url(context, slug: str, clip_name: str, cue_id: int, action: str) -> str:
    # Kept on the Context, which every {% include %} of one render shares.
    cache = context.__dict__.setdefault("_cue_action_urls", {})
    key = (slug, clip_name, action)
    if key not in cache:
        url = reverse("timeline-cue-action", args=[slug, clip_name, 0, action])
        head, _, tail = url.rpartition(f"/0/{action}/")
        cache[key] = (head + "/", f"/{action}/" + tail)
    head, tail = cache[key]
    return f"{head}{int(cue_id)}{tail}"

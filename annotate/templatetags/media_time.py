from django import template

register = template.Library()


@register.filter
def seconds(ms: int | None) -> str:
    """Media time in ms as seconds for people: 5160 -> "5.16 s"."""
    if ms is None:
        return ""
    return f"{ms / 1000:.2f} s"

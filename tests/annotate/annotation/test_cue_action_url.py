"""{% cue_action_url %} gives exactly what {% url 'timeline-cue-action' %} gives, under any
script prefix, for any clip name, although it reverses once per clip and action."""

import pytest
from django.template import Context, Template
from django.urls import set_script_prefix

NAMES = ["clip_0001.mp4", "采访 第3集 (final).mp4", "a%20b & <c>.mov"]


@pytest.fixture
def prefix():
    yield set_script_prefix
    set_script_prefix("/")


@pytest.mark.parametrize("script_prefix", ["/", "/studio/"])
@pytest.mark.parametrize("name", NAMES)
def test_same_as_the_url_tag(prefix, script_prefix, name):
    prefix(script_prefix)
    context = Context({"slug": "demo", "name": name})
    for action in ("accept", "reject", "edit", "retime", "delete"):
        for cue_id in (1, 4321):
            ours = Template(
                f"{{% load studio_urls %}}{{% cue_action_url slug name {cue_id} '{action}' %}}"
            ).render(context)
            django_tag = Template(
                f"{{% url 'timeline-cue-action' slug name {cue_id} '{action}' %}}"
            ).render(context)
            assert ours == django_tag
            assert ours.startswith(script_prefix)

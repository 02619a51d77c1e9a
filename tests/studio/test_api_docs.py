"""The interactive API docs page works offline: it loads Swagger UI from this server's static
files (drf-spectacular-sidecar), never from a CDN, and points at the served schema."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse


@pytest.mark.django_db
def test_the_docs_page_uses_local_assets_and_the_schema(client):
    body = client.get(reverse("api-docs")).content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', body)
    assets = [s for s in sources if "swagger-ui" in s]
    assert assets and all(s.startswith("/static/") for s in assets), sources
    for asset in assets:
        assert finders.find(asset.removeprefix("/static/")), asset
    # The page's start-up script is served apart (no inline script under the CSP) and points
    # at the schema.
    script = client.get(reverse("api-docs") + "?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert reverse("api-schema") in script.content.decode()
    assert "cdn" not in body.lower() and "jsdelivr" not in body.lower()
    schema = client.get(reverse("api-schema"), headers={"Accept": "application/json"})
    assert schema.status_code == 200 and len(schema.json()["paths"]) > 40

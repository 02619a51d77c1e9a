import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture
def media_root(settings, tmp_path):
    """Each test gets its own storage folder, so orphaned files can be counted exactly."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    from django.core.files.storage import default_storage

    default_storage.__dict__.pop("_wrapped", None)
    default_storage._setup()
    yield settings.MEDIA_ROOT
    default_storage.__dict__.pop("_wrapped", None)
    default_storage._setup()


def stored_files(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture(scope="session")
def demo_set(tmp_path_factory):
    """The generated demo clips (fixtures/demo.py), built once per test session."""
    from fixtures.demo import build_demo

    return build_demo(tmp_path_factory.mktemp("demo"))

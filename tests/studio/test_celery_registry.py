"""A worker process registers every task the code enqueues (eager tests would not notice)."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _declared_task_names() -> set[str]:
    names = set()
    for path in (ROOT / "annotate").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.keyword) and node.arg == "name" and isinstance(node.value, ast.Constant) \
                    and str(node.value.value).startswith("annotate.tasks."):
                names.add(node.value.value)
    return names


def test_a_fresh_worker_process_registers_every_task():
    declared = _declared_task_names()
    assert {"annotate.tasks.clip_ingest", "annotate.tasks.export_build",
            "annotate.tasks.run_score_compute", "annotate.tasks.clip_auto_promote"} <= declared
    # What `celery -A studio worker` loads: the app, its default modules, autodiscovery.
    code = ("import django, os; os.environ['DJANGO_SETTINGS_MODULE']='studio.settings.test'; "
            "from studio.celery import app; app.loader.import_default_modules(); "
            "print('\\n'.join(sorted(app.tasks)))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, check=True).stdout.split()
    assert declared - set(out) == set()

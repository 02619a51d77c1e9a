"""A worker process registers every task the code enqueues (eager tests would not notice), and
each task's name says where it is: `annotate.<capability>.tasks.<function>`."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _declared_tasks() -> dict[str, str]:
    """Each task name declared in annotate/, with the module path and function it sits on."""
    declared = {}
    for path in (ROOT / "annotate").rglob("*.py"):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef):
                continue
            for decorator in node.decorator_list:
                if (
                    isinstance(decorator, ast.Call)
                    and getattr(decorator.func, "id", "") == "shared_task"
                ):
                    names = [k.value.value for k in decorator.keywords if k.arg == "name"]
                    declared[names[0] if names else "(unnamed)"] = f"{module}.{node.name}"
    return declared


def test_every_task_is_named_for_its_module_and_function():
    declared = _declared_tasks()
    assert {
        "annotate.clips.tasks.clip_ingest",
        "annotate.runs.tasks.proposal_run",
        "annotate.review.tasks.clip_auto_promote",
        "annotate.goldsets.tasks.export_build",
        "annotate.scoring.tasks.score_job_run",
        "annotate.scoring.tasks.run_score_compute",
    } <= set(declared)
    assert {name: where for name, where in declared.items() if name != where} == {}


def test_a_fresh_worker_process_registers_every_task():
    declared = set(_declared_tasks())
    # What `celery -A studio worker` loads: the app, its default modules, autodiscovery.
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='studio.settings.test'; "
        "from studio.celery import app; app.loader.import_default_modules(); "
        "print('\\n'.join(sorted(app.tasks)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.split()
    assert declared - set(out) == set()

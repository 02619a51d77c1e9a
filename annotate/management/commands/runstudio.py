"""manage.py runstudio: the web app and, beside it, a Celery worker it starts and stops itself.

For the embedded defaults (SQLite, no broker server) and for a single machine; a lab
deployment runs gunicorn and the workers as separate services (docker-compose.yml).
"""

import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the web app and a Celery worker (queues cpu and gpu) together."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-worker", action="store_true", help="Do not start a worker.")
        parser.add_argument("--concurrency", type=int, default=1)

    def handle(self, *args, addrport: str, no_worker: bool, concurrency: int, **options):
        worker = None
        if not no_worker:
            command = [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "studio",
                "worker",
                "-Q",
                "cpu,gpu",
                "--concurrency",
                str(concurrency),
                "--loglevel",
                "INFO",
                "--hostname",
                f"embedded-{os.getpid()}@%h",
            ]
            worker = subprocess.Popen(command, env=os.environ.copy(), start_new_session=True)
            self.stdout.write(
                f"Started Celery worker (pid {worker.pid}) on {settings.CELERY_BROKER_URL.split('://')[0]}."
            )
        host, _, port = addrport.rpartition(":")
        self.stdout.write(
            self.style.SUCCESS(f"EmoCue Studio: open http://{host or '127.0.0.1'}:{port}/")
        )
        # SIGTERM (a service manager, a test) would end the process before the finally below
        # runs, leaving the worker behind in its own session: turn it into a normal exit.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            call_command("runserver", addrport, use_reloader=False)
        finally:
            if worker is not None and worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
                try:
                    worker.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(worker.pid, signal.SIGKILL)

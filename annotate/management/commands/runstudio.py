"""manage.py runstudio: the web app under gunicorn and, beside it, a Celery worker, started and
stopped together.

For the embedded defaults (SQLite, no broker server) and for a single machine; a lab
deployment runs gunicorn and the workers as separate services (docker-compose.yml).

Both children stay in runstudio's process group, so a service manager that signals the group
reaches them too. SIGTERM or SIGINT to runstudio alone stops them as well: each gets SIGTERM
(gunicorn finishes its requests, the worker its tasks) and, after --grace seconds, SIGKILL.
"""

import os
import signal
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Run the web app (gunicorn) and a Celery worker (queues cpu and gpu) together."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-worker", action="store_true", help="Do not start a worker.")
        parser.add_argument("--concurrency", type=int, default=1, help="worker processes")
        parser.add_argument(
            "--web-workers",
            type=int,
            default=int(os.environ.get("WEB_WORKERS", 2)),
            help="gunicorn processes (WEB_WORKERS, 2)",
        )
        parser.add_argument(
            "--web-threads",
            type=int,
            default=int(os.environ.get("WEB_THREADS", 4)),
            help="gunicorn threads per process (WEB_THREADS, 4)",
        )
        parser.add_argument(
            "--grace",
            type=float,
            default=10.0,
            help="seconds the web server and the worker get to finish after SIGTERM",
        )

    def handle(
        self,
        *args,
        addrport: str,
        no_worker: bool,
        concurrency: int,
        web_workers: int,
        web_threads: int,
        grace: float,
        **options,
    ):
        host, port = _split_addrport(addrport)
        stop_signal: list[int] = []

        def stop(signum, _frame):
            stop_signal.append(signum)

        # Set before any child starts, so that no signal can fall between start and cleanup.
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)

        children: dict[str, subprocess.Popen] = {}
        try:
            if not no_worker:
                children["worker"] = subprocess.Popen(
                    [
                        *(sys.executable, "-m", "celery", "-A", "studio", "worker"),
                        *("-Q", "cpu,gpu", "--concurrency", str(concurrency)),
                        *("--loglevel", "INFO", "--hostname", f"embedded-{os.getpid()}@%h"),
                    ]
                )
                broker = settings.CELERY_BROKER_URL.split("://")[0]
                self.stdout.write(
                    f"Started Celery worker (pid {children['worker'].pid}) on {broker}."
                )
            bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
            children["web"] = subprocess.Popen(
                [
                    *(sys.executable, "-m", "gunicorn", "studio.wsgi:application"),
                    *("--bind", bind, "--worker-class", "gthread"),
                    *("--workers", str(web_workers), "--threads", str(web_threads)),
                    *("--graceful-timeout", str(max(1, int(grace))), "--timeout", "120"),
                    # Browsers talk to gunicorn directly here, with no proxy in front: keep their
                    # idle connections open (gthread parks them without a thread), or a request
                    # sent as gunicorn's 2 s default closes one fails.
                    *("--keep-alive", "30"),
                ]
            )
            self.stdout.write(f"Started gunicorn (pid {children['web'].pid}) on {bind}.")
            announced = False
            while not stop_signal:
                exited = [name for name, child in children.items() if child.poll() is not None]
                if exited:
                    raise CommandError(
                        f"the {exited[0]} process exited ({children[exited[0]].returncode}); "
                        "stopping the rest"
                    )
                if not announced and _answers(host, port):
                    announced = True
                    shown = f"[{host}]" if ":" in host else host
                    self.stdout.write(
                        self.style.SUCCESS(f"EmoCue Studio: open http://{shown}:{port}/")
                    )
                time.sleep(0.2)
            self.stdout.write(f"Stopping ({signal.Signals(stop_signal[0]).name}).")
        finally:
            _stop(children.values(), grace=grace)


def _split_addrport(addrport: str) -> tuple[str, int]:
    host, _, port = addrport.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit():
        raise CommandError(f"{addrport!r} is not an address and port such as 127.0.0.1:8000")
    return host, int(port)


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection(("::1" if host == "::" else host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _stop(children, *, grace: float) -> None:
    """SIGTERM to each child still running, SIGKILL to those still running after grace."""
    running = [child for child in children if child.poll() is None]
    for child in running:
        child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for child in running:
        try:
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()

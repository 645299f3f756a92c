"""`make run`: the development server, with the local Mollie sandbox when no Mollie key is set."""

import atexit
import os
import subprocess
import sys
import threading
import time
import urllib.request

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

SANDBOX_KEY = "test_localsandboxkey012345678901234"
# Reconciliation with Mollie, as the production timer runs it every five minutes: often enough
# here that a charge the sandbox makes (which sends no webhook while it is being collected)
# shows in the supporter area soon after "charge now" or "advance clock".
RECONCILE_SECONDS = 60


class Command(BaseCommand):
    help = "Run the development server; start the Mollie sandbox beside it unless a key is set."

    def add_arguments(self, parser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--sandbox-port", type=int, default=8001)

    def handle(self, *args, addrport: str, sandbox_port: int, **options) -> None:
        site_url = f"http://{addrport}"
        # runserver's autoreloader runs this command again in a child process (RUN_MAIN=true);
        # the sandbox and the environment it needs are set up once, in the parent.
        if os.environ.get("RUN_MAIN") != "true":
            if settings.MOLLIE_API_KEY:
                mollie = "Mollie with your MOLLIE_API_KEY (no sandbox started)"
            else:
                sandbox_url = self._start_sandbox(sandbox_port)
                os.environ.update(
                    MOLLIE_API_KEY=SANDBOX_KEY,
                    MOLLIE_API_ENDPOINT=sandbox_url,
                    MOLLIE_WEBHOOK_BASE_URL=site_url,
                )
                mollie = (
                    f"the local Mollie sandbox, overview at {sandbox_url}/\n"
                    f"             reconciliation with it every {RECONCILE_SECONDS} s "
                    "(sync_payments, as the production timer runs it)"
                )
                self._reconcile_every(RECONCILE_SECONDS)
            os.environ.setdefault("PUBLIC_BASE_URL", site_url)
            self.stdout.write(
                "\n"
                f"  Site:      {site_url}/nl/  and  {site_url}/en/\n"
                f"  Admin:     {site_url}/admin/  (make a login with: "
                "DEBUG=1 .venv/bin/python manage.py createsuperuser)\n"
                f"  Payments:  {mollie}\n"
                "  Emails are printed in this terminal. Stop with Ctrl+C.\n"
                "  Demo: the limits per client (gift starts, mandates, login codes, objections)\n"
                "  are relaxed so you can try every journey; production keeps them.\n"
                "  Other ports: make run PORT=8080 SANDBOX_PORT=8081\n"
            )
        call_command("runserver", addrport)

    def _reconcile_every(self, seconds: float) -> threading.Event:
        """`manage.py sync_payments` every `seconds`, in the background, for as long as the
        server runs (a daemon thread of this parent process, which outlives runserver's
        reloads); setting the returned event stops it."""
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(seconds):
                done = subprocess.run(
                    [sys.executable, "manage.py", "sync_payments", "--verbosity", "0"],
                    cwd=settings.BASE_DIR,
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if done.returncode:
                    self.stderr.write(f"Reconciliation failed: {done.stderr.strip()[-500:]}")

        threading.Thread(target=loop, name="reconcile", daemon=True).start()
        return stop

    def _start_sandbox(self, port: int) -> str:
        url = f"http://127.0.0.1:{port}"
        state = settings.BASE_DIR / ".sandbox-state.json"
        process = subprocess.Popen(  # noqa: S603 (our own module, fixed arguments)
            [
                *(sys.executable, "-m", "mollie_sandbox", "--host", "127.0.0.1"),
                *("--port", str(port), "--state", str(state), "--quiet"),
            ],
        )
        atexit.register(process.terminate)
        for _ in range(50):
            if process.poll() is not None:
                raise CommandError(
                    f"The Mollie sandbox could not start on port {port} (is it in use?). "
                    "Choose another with: make run SANDBOX_PORT=8011"
                )
            try:
                with urllib.request.urlopen(f"{url}/_sandbox/clock", timeout=1):  # noqa: S310
                    return url
            except OSError:
                time.sleep(0.1)
        process.terminate()
        raise CommandError("The Mollie sandbox did not answer within 5 seconds.")

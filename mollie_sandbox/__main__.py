"""Command line: `python -m mollie_sandbox --host 127.0.0.1 --port 8001 [--state FILE]`."""

from __future__ import annotations

import argparse
import sys

from .errors import ControlError
from .faults import WEBHOOK, parse_option
from .server import Sandbox
from .webhooks import DEFAULT_SCHEDULE, TIMEOUT


def _schedule(text: str) -> tuple[float, ...]:
    try:
        delays = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError("use comma-separated seconds, e.g. 0,1,3,7") from None
    if not delays or any(d < 0 for d in delays) or list(delays) != sorted(delays):
        raise argparse.ArgumentTypeError("delays must be non-negative and ascending")
    return delays


def _fault(text: str):
    try:
        return parse_option(text)
    except ControlError as error:
        raise argparse.ArgumentTypeError(error.message) from None


def _webhook_fault(text: str):
    try:
        return parse_option(text, pattern=WEBHOOK)
    except ControlError as error:
        raise argparse.ArgumentTypeError(error.message) from None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mollie_sandbox", description="Local stand-in for Mollie's v2 API."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--state", metavar="FILE", help="JSON file to load and save state")
    parser.add_argument(
        "--webhook-schedule",
        type=_schedule,
        default=DEFAULT_SCHEDULE,
        metavar="SECONDS",
        help="comma-separated delays after an event for each webhook attempt "
        "(default: Mollie's schedule, minutes read as seconds)",
    )
    parser.add_argument("--webhook-timeout", type=float, default=TIMEOUT)
    parser.add_argument(
        "--webhook-workers", type=int, default=4, help="webhook calls made at once (default 4)"
    )
    parser.add_argument(
        "--fault",
        type=_fault,
        action="append",
        default=[],
        metavar="PATTERN:SETTINGS",
        help="a fault rule for API requests, e.g. 'GET /v2/payments/*:error=0.2,latency=0.1-2' "
        "(settings: latency, error, throttle, drop, status, retry_after); repeatable",
    )
    parser.add_argument(
        "--webhook-fault",
        type=_webhook_fault,
        action="append",
        default=[],
        metavar="SETTINGS",
        help="a fault rule for the webhook calls, e.g. 'error=0.1,drop=0.05,latency=0.5'",
    )
    parser.add_argument("--fault-seed", type=int, help="seed for the faults' random numbers")
    parser.add_argument("--quiet", action="store_true", help="do not log requests")
    args = parser.parse_args(argv)
    sandbox = Sandbox(
        args.host,
        args.port,
        state_file=args.state,
        webhook_schedule=args.webhook_schedule,
        webhook_timeout=args.webhook_timeout,
        webhook_workers=args.webhook_workers,
    )
    sandbox.verbose = not args.quiet
    sandbox.faults.configure([*args.fault, *args.webhook_fault], seed=args.fault_seed)
    print(f"Mollie sandbox on {sandbox.base_url} (overview: {sandbox.base_url}/)", flush=True)
    print(f"Client: Client(api_endpoint={sandbox.base_url!r}); key test_...", flush=True)
    try:
        sandbox.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

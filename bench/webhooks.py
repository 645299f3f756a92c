"""R4: what a webhook for a new monthly charge costs the site, against the least any webhook
must cost.

The sandbox charges N subscriptions at once and calls the site's webhook for each, four at a
time, as Mollie does. R4 is the CPU time the site's gunicorn workers spend per webhook ÷ the CPU
time they spend per request of a reference view on the same gunicorn and middleware that does
the irreducible work: one fetch of the payment from the sandbox through the same client, one
INSERT in a transaction (donations.views.webhook_reference). Both are measured in the same run,
so the machine's speed and its other tenants (the sandbox, PostgreSQL) cancel out.

Also reported: the webhook's answer time under the burst (p50/p99, from the sandbox's own
clock, against Mollie's 15 s limit), the site's CPU ms per webhook, the webhooks per second,
and the checks that no charge was lost or doubled and no email sent.
"""

import json
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal

from django.db import connection

from .common import children, cpu_seconds, cpu_used, postgres_pids, sandbox_control


def _make_subscriptions(count: int, site_url: str, sandbox_url: str) -> None:
    """N supporters, each with a paid first payment and a monthly subscription at Mollie."""
    from donations import gateway
    from donations.models import Donation, Subscription
    from donations.schedule import add_months
    from donations.services.common import webhook_path
    from supporters.models import Supporter

    supporters = Supporter.objects.bulk_create(
        Supporter(email=f"r4-{n}@example.org", name=f"R4 {n}") for n in range(count)
    )
    donations = Donation.objects.bulk_create(
        Donation(supporter=s, amount=Decimal("5.00"), frequency="monthly", language="nl")
        for s in supporters
    )
    with urllib.request.urlopen(f"{sandbox_url}/_sandbox/clock", timeout=10) as response:
        today = date.fromisoformat(json.loads(response.read())["today"])
    start = add_months(today.replace(day=1), 1)  # the first of next month

    def one(pair) -> Subscription:
        supporter, donation = pair
        customer = gateway.customer_create(
            name=supporter.name, email=supporter.email, language="nl", idempotency_key=""
        )
        first = gateway.payment_create(
            amount=Decimal("5.00"),
            description="first",
            redirect_url="http://127.0.0.1/return",
            webhook_url=None,
            metadata={"donation_id": donation.pk},
            language="nl",
            idempotency_key=f"r4-first-{donation.pk}",
            customer_id=customer.id,
            first_of_subscription=True,
        )
        # A card, so the charges are paid at once (a direct debit is pending for days).
        sandbox_control(
            sandbox_url,
            f"/_sandbox/payments/{first.id}/status",
            status="paid",
            method="creditcard",
        )
        data = gateway.subscription_create(
            customer_id=customer.id,
            amount=Decimal("5.00"),
            interval="1 month",
            start_date=start,
            description=f"r4 {donation.pk}",
            webhook_url=f"{site_url}{webhook_path()}",
            metadata={"donation_id": donation.pk},
            idempotency_key=f"r4-sub-{donation.pk}",
        )
        return Subscription(
            mollie_id=data.id,
            donation=donation,
            supporter=supporter,
            customer_id=customer.id,
            amount=Decimal("5.00"),
            status="active",
            start_date=start,
            next_payment_date=start,
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        rows = list(pool.map(one, zip(supporters, donations, strict=True)))
    Subscription.objects.bulk_create(rows, batch_size=2000)
    connection.close()


def run(site_url: str, sandbox_url: str, site_pid: int, sandbox_pid: int, count: int = 10_000):
    from core.models import EmailLog
    from donations.models import Payment, Subscription
    from donations.services import webhook_path

    _make_subscriptions(count, site_url, sandbox_url)
    emails_before = EmailLog.objects.count()
    groups = {
        "site": lambda: children(site_pid),
        "sandbox": lambda: [sandbox_pid],
        # SQLite works inside the site's workers; only a PostgreSQL server is counted apart.
        "database": postgres_pids if connection.vendor == "postgresql" else list,
    }
    cpu_before = {name: cpu_seconds(pids()) for name, pids in groups.items()}
    started = time.monotonic()
    sandbox_control(sandbox_url, "/_sandbox/clock/advance", timeout=900, months=1, outcome="paid")
    deadline = started + 1800
    while time.monotonic() < deadline:
        done = Payment.objects.filter(sequence_type="recurring", status="paid").count()
        if done >= count:
            break
        time.sleep(0.5)
    seconds = time.monotonic() - started
    cpu_ms = {
        name: round(cpu_used(cpu_before[name], pids()) * 1000 / max(done, 1), 2)
        for name, pids in groups.items()
    }
    webhook_rate = done / seconds
    with urllib.request.urlopen(f"{sandbox_url}/_sandbox/webhooks", timeout=60) as response:
        answered = json.loads(response.read())["totals"]
    rows = Payment.objects.filter(sequence_type="recurring")
    lost, duplicates = (
        count - rows.count(),
        rows.count() - rows.values("mollie_id").distinct().count(),
    )
    new_emails = EmailLog.objects.count() - emails_before
    sample = min(count, 3000)
    stored = _charges(sample)
    # As many webhooks for charges the site has not seen, sent the same way and in turns with
    # the reference; the sandbox's own calls for them stay off (a fault rule).
    _control_json(sandbox_url, {"rules": [{"pattern": "webhook", "error": 1}]})
    try:
        new_charges = _new_charges(sandbox_url, sample)
        measured_ms = _driven_cpu_ms(
            site_url,
            site_pid,
            {"/mollie/reference/": stored, webhook_path(): new_charges},
        )
    finally:
        _control_json(sandbox_url, {"rules": []})
    reference_ms, webhook_ms = measured_ms["/mollie/reference/"], measured_ms[webhook_path()]
    with urllib.request.urlopen(f"{sandbox_url}/_sandbox/clock", timeout=10) as response:
        today = date.fromisoformat(json.loads(response.read())["today"])
    # Each measured webhook did all a first-of-the-month charge does: stored, date moved on.
    measured = Payment.objects.filter(mollie_id__in=new_charges)
    dates_moved = Subscription.objects.filter(
        pk__in=measured.values("subscription_id"), next_payment_date__gt=today
    ).count()
    return {
        "charges": count,
        "seconds": round(seconds, 1),
        "webhooks_per_second": round(webhook_rate, 1),
        "site_cpu_ms_per_webhook": round(webhook_ms, 3),
        "site_cpu_ms_per_reference": round(reference_ms, 3),
        "ratio": round(webhook_ms / reference_ms, 2),
        "webhook_ms": answered["ms"],
        "webhook_answers": answered["answers"],
        "cpu_ms_per_webhook": cpu_ms,
        "burst_site_cpu_ms_per_webhook": cpu_ms["site"],
        "lost": lost,
        "duplicates": duplicates,
        "new_emails": new_emails,
        "measured_webhooks": len(new_charges),
        "measured_stored": measured.count(),
        "measured_dates_moved": dates_moved,
    }


def _charges(limit: int) -> list[str]:
    from donations.models import Payment

    rows = Payment.objects.filter(sequence_type="recurring").values_list("mollie_id", flat=True)
    return list(rows[:limit])


def _new_charges(sandbox_url: str, limit: int) -> list[str]:
    """The next month's charge of every gift, of which `limit` are returned (the caller keeps
    the sandbox's webhook calls off, so the site has never seen them: `_driven_cpu_ms` sends
    their webhooks). Each is due, so its webhook also moves the gift's next charge date, as on
    the first of the month."""
    # 10,000 charges in one call of the sandbox take longer than a control call usually does.
    charged = sandbox_control(
        sandbox_url, "/_sandbox/clock/advance", timeout=900, months=1, outcome="paid"
    )
    return charged["charged"][:limit]


def _control_json(sandbox_url: str, body: dict) -> None:
    request = urllib.request.Request(
        f"{sandbox_url}/_sandbox/faults",
        json.dumps(body).encode(),
        {"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=30).close()


def _driven_cpu_ms(
    site_url: str, site_pid: int, paths: dict[str, list[str]], chunk: int = 100
) -> dict[str, float]:
    """The site's CPU ms per request to each of `paths` (path → ids), called like Mollie calls
    the webhook (POST id=, four at a time), once for each id. The paths take turns in chunks,
    so a drift of the machine or of the workers lands on all of them alike."""

    def call(path: str, mollie_id: str) -> None:
        data = urllib.parse.urlencode({"id": mollie_id}).encode()
        with urllib.request.urlopen(f"{site_url}{path}", data, timeout=30) as answer:
            answer.read()

    used = dict.fromkeys(paths, 0.0)
    counted = dict.fromkeys(paths, 0)
    with ThreadPoolExecutor(max_workers=4) as pool:
        for path, ids in paths.items():  # warm-up
            list(pool.map(lambda mollie_id, path=path: call(path, mollie_id), ids[:50]))
        for start in range(50, max(len(ids) for ids in paths.values()), chunk):
            for path, ids in paths.items():
                part = ids[start : start + chunk]
                if not part:
                    continue
                before = cpu_seconds(children(site_pid))
                list(pool.map(lambda mollie_id, path=path: call(path, mollie_id), part))
                used[path] += cpu_used(before, children(site_pid))
                counted[path] += len(part)
    return {path: used[path] * 1000 / max(counted[path], 1) for path in paths}

"""R4: webhook throughput when the sandbox charges N subscriptions at once, ÷ the sandbox's own
throughput for fetching a payment. Checks at the end that no charge was lost or doubled.

Both sides run on the same machine, so the figure also reports where the CPU went: per webhook,
in the site's gunicorn workers, in the sandbox (serving the fetch and sending the webhook) and in
PostgreSQL, and per fetch in the sandbox alone. On a machine with few cores these tell whether
the site or its neighbours set the pace.
"""

import json
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal

from django.db import connection

from .common import children, cpu_seconds, cpu_used, postgres_pids, sandbox_control
from .site import wrk


def _make_subscriptions(count: int, site_url: str, sandbox_url: str) -> None:
    """N supporters, each with a paid first payment and a monthly subscription at Mollie."""
    from donations import gateway
    from donations.models import Donation, Subscription
    from donations.services.common import add_months
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
            customer_id=customer["id"],
            first_of_subscription=True,
        )
        sandbox_control(sandbox_url, f"/_sandbox/payments/{first['id']}/status", status="paid")
        data = gateway.subscription_create(
            customer_id=customer["id"],
            amount=Decimal("5.00"),
            interval="1 month",
            start_date=start,
            description=f"r4 {donation.pk}",
            webhook_url=f"{site_url}/mollie/webhook/",
            metadata={"donation_id": donation.pk},
            idempotency_key=f"r4-sub-{donation.pk}",
        )
        return Subscription(
            mollie_id=data["id"],
            donation=donation,
            supporter=supporter,
            customer_id=customer["id"],
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
    from donations.models import Payment

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
    sandbox_control(sandbox_url, "/_sandbox/clock/advance", months=1, outcome="paid")
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
    sample = Payment.objects.filter(sequence_type="recurring").values_list("mollie_id", flat=True)
    payment_id = sample.first()
    sandbox_before = cpu_seconds([sandbox_pid])
    fetch = wrk(
        f"{sandbox_url}/v2/payments/{payment_id}",
        script=None,
        headers={"Authorization": "Bearer test_benchmarkkey012345678901234567"},
    )
    fetch_cpu_ms = cpu_used(sandbox_before, [sandbox_pid]) * 1000 / fetch["requests"]
    rows = Payment.objects.filter(sequence_type="recurring")
    return {
        "charges": count,
        "seconds": round(seconds, 1),
        "webhooks_per_second": round(webhook_rate, 1),
        "sandbox_fetch_rps": fetch["rps"],
        "ratio": round(webhook_rate / fetch["rps"], 3),
        "cpu_ms_per_webhook": cpu_ms,
        "sandbox_cpu_ms_per_fetch": round(fetch_cpu_ms, 3),
        "lost": count - rows.count(),
        "duplicates": rows.count() - rows.values("mollie_id").distinct().count(),
        "new_emails": EmailLog.objects.count() - emails_before,
    }

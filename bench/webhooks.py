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
        # A card, so the charges are paid at once (a direct debit is pending for days).
        sandbox_control(
            sandbox_url,
            f"/_sandbox/payments/{first['id']}/status",
            status="paid",
            method="creditcard",
        )
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
    with urllib.request.urlopen(f"{sandbox_url}/_sandbox/webhooks", timeout=60) as response:
        answered = json.loads(response.read())["totals"]
    rows = Payment.objects.filter(sequence_type="recurring")
    lost, duplicates = (
        count - rows.count(),
        rows.count() - rows.values("mollie_id").distinct().count(),
    )
    new_emails = EmailLog.objects.count() - emails_before
    sample = min(count, 3000)
    reference_ms = _driven_cpu_ms(site_url, site_pid, "/mollie/reference/", _charges(sample))
    # The same number of webhooks for charges the site has not seen, sent the same way; the
    # sandbox's own calls for them stay off (a fault rule) until they are measured.
    _control_json(sandbox_url, {"rules": [{"pattern": "webhook", "error": 1}]})
    try:
        webhook_ms = _driven_cpu_ms(
            site_url, site_pid, "/mollie/webhook/", _new_charges(sandbox_url, sample)
        )
    finally:
        _control_json(sandbox_url, {"rules": []})
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
    }


def _charges(limit: int) -> list[str]:
    from donations.models import Payment

    rows = Payment.objects.filter(sequence_type="recurring").values_list("mollie_id", flat=True)
    return list(rows[:limit])


def _new_charges(sandbox_url: str, limit: int) -> list[str]:
    """A second charge for `limit` gifts (the caller keeps the sandbox's webhook calls off, so
    the site has never seen them: `_driven_cpu_ms` sends their webhooks)."""
    from donations.models import Subscription

    ids = list(Subscription.objects.values_list("mollie_id", flat=True)[:limit])
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(
            pool.map(
                lambda sid: sandbox_control(
                    sandbox_url, f"/_sandbox/subscriptions/{sid}/charge", outcome="paid"
                )["payment"]["id"],
                ids,
            )
        )


def _control_json(sandbox_url: str, body: dict) -> None:
    request = urllib.request.Request(
        f"{sandbox_url}/_sandbox/faults",
        json.dumps(body).encode(),
        {"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=30).close()


def _driven_cpu_ms(site_url: str, site_pid: int, path: str, ids: list[str]) -> float:
    """The site's CPU ms per request to `path`, called like Mollie calls the webhook (POST id=,
    four at a time), once for each of `ids`."""

    def call(mollie_id: str) -> None:
        data = urllib.parse.urlencode({"id": mollie_id}).encode()
        with urllib.request.urlopen(f"{site_url}{path}", data, timeout=30) as answer:
            answer.read()

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(call, ids[:50]))  # warm-up
        before = cpu_seconds(children(site_pid))
        list(pool.map(call, ids[50:]))
    return cpu_used(before, children(site_pid)) * 1000 / max(len(ids) - 50, 1)

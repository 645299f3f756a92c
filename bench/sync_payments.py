"""How long `sync_payments` takes over N unfinished payments, against the Mollie sandbox."""

import time
from decimal import Decimal


def run(count: int = 10_000, profile: bool = False) -> dict:
    from django.conf import settings
    from django.utils import timezone

    from donations import gateway
    from donations.models import Donation, Payment
    from donations.services import payments_reconcile
    from supporters.models import Supporter

    from .common import sandbox_control, start_sandbox_process

    sandbox_url, sandbox = start_sandbox_process()
    settings.MOLLIE_API_KEY = "test_benchmarkkey012345678901234567"
    settings.MOLLIE_API_ENDPOINT = sandbox_url
    settings.MOLLIE_WEBHOOK_BASE_URL = ""
    try:
        supporter = Supporter.objects.create(email="bench@example.org", name="Bench")
        donations = Donation.objects.bulk_create(
            Donation(
                supporter=supporter, amount=Decimal("10.00"), frequency="oneoff", language="nl"
            )
            for _ in range(count)
        )
        payments = []
        for index, donation in enumerate(donations):
            data = gateway.payment_create(
                amount=Decimal("10.00"),
                description=f"bench {index}",
                redirect_url="http://127.0.0.1/return",
                webhook_url=None,
                metadata={"donation_id": donation.pk},
                language="nl",
                idempotency_key=f"bench-{donation.pk}",
            )
            if index % 2 == 0:  # half were paid while their webhooks got lost
                sandbox_control(sandbox_url, f"/_sandbox/payments/{data.id}/status", status="paid")
            payments.append(
                Payment(
                    mollie_id=data.id,
                    donation=donation,
                    supporter=supporter,
                    status="open",
                    sequence_type="oneoff",
                    amount=Decimal("10.00"),
                )
            )
        Payment.objects.bulk_create(payments, batch_size=2000)
        Payment.objects.update(created_at=timezone.now() - timezone.timedelta(hours=1))
        started = time.perf_counter()
        if profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            report = profiler.runcall(payments_reconcile, older_than_minutes=5, workers=1)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
        else:
            report = payments_reconcile(older_than_minutes=5)
        seconds = time.perf_counter() - started
    finally:
        sandbox.terminate()
    paid = Payment.objects.filter(status="paid").count()
    return {
        "payments": count,
        "seconds": round(seconds, 2),
        "per_second": round(count / seconds, 1),
        "changed": report.payments_changed,
        "paid_after": paid,
        "errors": len(report.errors),
    }

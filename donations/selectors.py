"""Reads of donation data, for this app's pages and for the supporter area."""

from .models import Donation, Payment


def donation_latest_payment(*, donation: Donation) -> Payment | None:
    return donation.payments.order_by("-created_at", "-pk").first()

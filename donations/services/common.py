"""Helpers shared by the donation services."""

import calendar
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from django.utils.dateparse import parse_datetime

from ..models import ZERO


def add_months(day: date, months: int) -> date:
    """`day` moved `months` months ahead, clamped to a shorter month's end (31 Jan → 28 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def mollie_amount(amount: dict | None) -> Decimal:
    """Mollie's `{"currency": "EUR", "value": "10.00"}` as a Decimal (zero when absent)."""
    return Decimal(amount["value"]) if amount else ZERO


def mollie_time(value: str | None) -> datetime | None:
    """One of Mollie's ISO 8601 timestamps as an aware datetime (None when absent)."""
    return parse_datetime(value) if value else None


def webhook_url() -> str | None:
    """Our webhook's address, only when Mollie can reach us (it refuses a localhost URL)."""
    base = settings.MOLLIE_WEBHOOK_BASE_URL
    return f"{base}{reverse('mollie_webhook')}" if base else None

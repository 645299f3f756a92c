"""Plain values for a JSON data export (a supporter's "download my data")."""

import datetime
from decimal import Decimal


def export_money(value: Decimal) -> str:
    return f"{value:.2f}"


def export_time(value: datetime.date | None) -> str | None:
    return value.isoformat() if value else None

"""Template tags for the supporter area."""

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import conditional_escape, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from core.money import euro
from donations.bank_reasons import reason_label
from donations.models import Frequency

register = template.Library()
FREQUENCY_LABELS = dict(Frequency.choices)


@register.simple_tag
def gift_rows(payments) -> SafeString:
    """The rows of the gifts table (every cell escaped), built in Python.

    A page of gifts is the one long list a supporter sees; formatting its cells through the
    template engine, five lookups and filters per row, cost as much as the rest of the page.
    """
    check = gettext("payment method check")
    fmt = "SHORT_DAY_FORMAT"  # config/formats: "1 dec 2026", "1 Dec 2026"
    reversed_ = gettext("reversed by your bank")
    collecting = gettext("being collected")
    labels = [
        gettext("Date"),
        gettext("Amount"),
        gettext("Kind"),
        gettext("Status"),
        gettext("Refunded or reversed"),
    ]
    row = "".join(f'<td data-label="{conditional_escape(label)}">{{}}</td>' for label in labels)
    return format_html_join(
        "\n",
        f"<tr>{row}</tr>",
        (
            (
                date_format(timezone.localtime(payment.gift_at), fmt),
                euro(payment.amount),
                _kind(payment, check),
                _status(payment, reversed_, collecting),
                # An en dash when nothing went back to the donor.
                euro(payment.amount_returned) if payment.amount_returned else "\u2013",
            )
            for payment in payments
        ),
    )


def _status(payment, reversed_: str, collecting: str) -> str:
    if payment.amount_charged_back:
        return reversed_
    if payment.is_being_collected:  # a direct debit takes some days: say so, not "open"
        return collecting
    return payment.get_status_display()


def _kind(payment, check: str) -> str:
    return gift_kind(payment) if not payment.is_verification else check


@register.filter
def gift_kind(payment) -> str:
    """What a payment was, in the words of the gift: "monthly", "one-off", "bank transfer
    (recorded by us)": the same in the list of gifts and on the yearly statement."""
    if payment.is_recorded:  # a transfer or cash we recorded
        return gettext("%(how)s (recorded by us)") % {"how": payment.recorded_label}
    return str(FREQUENCY_LABELS.get(payment.frequency, payment.frequency))


@register.filter
def bank_reason(code: str) -> str:
    """The bank's reason code for a returned debit, in words in the current language."""
    return reason_label(code)

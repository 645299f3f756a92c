"""Template tags for the supporter area."""

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from core.money import euro
from donations.bank_reasons import reason_label

register = template.Library()


@register.simple_tag
def gift_rows(payments) -> SafeString:
    """The rows of the gifts table (every cell escaped), built in Python.

    A page of gifts is the one long list a supporter sees; formatting its cells through the
    template engine, five lookups and filters per row, cost as much as the rest of the page.
    """
    one_off, regular = gettext("one-off"), gettext("regular gift")
    check = gettext("payment method check")
    fmt = "SHORT_DAY_FORMAT"  # config/formats: "1 dec 2026", "1 Dec 2026"
    reversed_ = gettext("reversed by your bank")
    return format_html_join(
        "\n",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                date_format(timezone.localtime(payment.paid_at or payment.created_at), fmt),
                euro(payment.amount),
                _kind(payment, check, one_off, regular),
                reversed_ if payment.amount_charged_back else payment.get_status_display(),
                # An en dash when nothing went back to the donor.
                euro(payment.amount_returned) if payment.amount_returned else "\u2013",
            )
            for payment in payments
        ),
    )


def _kind(payment, check: str, one_off: str, regular: str) -> str:
    if payment.is_verification:
        return check
    if payment.is_recorded:  # a transfer or cash we recorded: "bank transfer (recorded by us)"
        return gettext("%(how)s (recorded by us)") % {"how": payment.recorded_label}
    return one_off if payment.is_oneoff else regular


@register.filter
def bank_reason(code: str) -> str:
    """The bank's reason code for a returned debit, in words in the current language."""
    return reason_label(code)

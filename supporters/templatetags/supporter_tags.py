"""Template tags for the supporter area."""

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from core.templatetags.site_tags import euro
from donations.models import PaymentStatus, SequenceType

register = template.Library()


@register.simple_tag
def gift_rows(payments) -> SafeString:
    """The rows of the gifts table (every cell escaped), built in Python.

    A page of gifts is the one long list a supporter sees; formatting its cells through the
    template engine, five lookups and filters per row, cost as much as the rest of the page.
    """
    one_off, monthly = gettext("one-off"), gettext("monthly")
    statuses = {value: str(label) for value, label in PaymentStatus.choices}
    return format_html_join(
        "\n",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                date_format(timezone.localtime(payment.paid_at or payment.created_at), "j M Y"),
                euro(payment.amount),
                one_off if payment.sequence_type == SequenceType.ONEOFF else monthly,
                statuses.get(payment.status, payment.status),
                euro(payment.amount_refunded + payment.amount_charged_back)
                if payment.amount_refunded or payment.amount_charged_back
                else "\u2013",  # an en dash: nothing refunded
            )
            for payment in payments
        ),
    )

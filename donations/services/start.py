"""Starting a gift: the donation row, the Mollie customer and the first payment."""

from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import ratelimit
from supporters.services import supporter_get_or_create

from .. import gateway
from ..exceptions import DonationLimitReached, PaymentProviderError
from ..gateway import MolliePayment
from ..models import Donation, Frequency, Payment
from .common import gift_source_fields, webhook_url

DONATION_START_WINDOW_SECONDS = 3600


def donation_start(
    *,
    amount: Decimal,
    frequency: str,
    name: str,
    email: str,
    language: str,
    site_url: str,
    client_key: str,
    source: dict | None = None,
) -> tuple[Donation, str]:
    """Record a donation and create its first payment at Mollie; return it and the checkout URL.

    The supporter is found or created by email (nobody is logged in by this, and nothing the
    supporter set up is reused or changed). A regular gift gets a Mollie customer of its own,
    then a `first` payment on it.
    `site_url` is the scheme and host the donor used; the return URL is built on it.
    `source` is where the form was opened ({"link": code, "page": key}, both may be empty).

    Raises DonationLimitReached when `client_key` started too many donations this hour. Raises
    PaymentProviderUnavailable or PaymentProviderRefused when Mollie cannot or will not create
    the payment; the Donation row is kept either way, with the reason in `start_error`.
    """
    if not ratelimit.hit(
        scope="donation-start",
        key=client_key,
        limit=settings.DONATION_START_LIMIT_PER_HOUR,
        window=DONATION_START_WINDOW_SECONDS,
    ):
        raise DonationLimitReached
    supporter, created = supporter_get_or_create(email=email, name=name, language=language)
    donation = Donation.objects.create(
        supporter=supporter,
        amount=amount,
        frequency=frequency,
        language=language,
        created_supporter=created,
        **gift_source_fields(**(source or {})),
    )
    try:
        data = _first_payment_create(donation=donation, site_url=site_url)
    except PaymentProviderError as error:
        Donation.objects.filter(pk=donation.pk).update(start_error=str(error)[:2000])
        donation.start_error = str(error)
        raise
    Payment.objects.create(
        mollie_id=data.id,
        donation=donation,
        supporter=supporter,
        status=data.status,
        sequence_type=data.sequence_type,
        amount=data.amount,
        method=data.method,
        mollie_data=data.raw,
        synced_at=timezone.now(),
    )
    return donation, data.checkout_url


def _first_payment_create(*, donation: Donation, site_url: str) -> MolliePayment:
    with translation.override(donation.language):
        return_path = reverse("donations:return", kwargs={"token": donation.public_token})
        descriptions = {
            Frequency.MONTHLY: _("Monthly gift to %(name)s"),
            Frequency.QUARTERLY: _("Quarterly gift to %(name)s"),
            Frequency.YEARLY: _("Yearly gift to %(name)s"),
        }
        description = descriptions.get(donation.frequency, _("Gift to %(name)s")) % {
            "name": settings.SITE_NAME
        }
    customer_id = donation_customer(donation) if donation.is_recurring else None
    return gateway.payment_create(
        amount=donation.amount,
        description=f"{description} #{donation.pk}",
        redirect_url=f"{site_url}{return_path}",
        webhook_url=webhook_url(),
        metadata={"donation_id": donation.pk},
        language=donation.language,
        idempotency_key=f"donation-{donation.pk}-payment",
        customer_id=customer_id,
        first_of_subscription=donation.is_recurring,
    )


def donation_customer(donation: Donation) -> str:
    """The Mollie customer of this regular gift, made for it alone (see Donation).

    Never the customer of another gift of the same supporter: whoever typed the address into
    the form has not proven it, and on a shared customer their gift could be charged from the
    donor's mandate, or the donor's gift from theirs. The idempotency key makes a repeated
    start find the same customer.
    """
    if donation.mollie_customer_id:
        return donation.mollie_customer_id
    supporter = donation.supporter
    data = gateway.customer_create(
        name=supporter.name,
        email=supporter.email,
        language=donation.language,
        idempotency_key=f"donation-{donation.pk}-customer",
    )
    Donation.objects.filter(pk=donation.pk).update(mollie_customer_id=data.id)
    donation.mollie_customer_id = data.id
    return data.id

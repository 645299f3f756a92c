"""Helpers shared by the donation services."""

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

from campaign.selectors import gift_source

from ..models import Donation, Donor

WEBHOOK_SALT = "donations.webhook"


def _webhook_token(secret: str) -> str:
    return salted_hmac(WEBHOOK_SALT, "path", secret=secret, algorithm="sha256").hexdigest()[:32]


def webhook_path() -> str:
    """Our webhook's path: it carries a token only we (and Mollie, which we give it to) know,
    so nobody else can make us ask Mollie about anything (not another Mollie account with our
    address as its webhook, either). MOLLIE_WEBHOOK_TOKEN, else one derived from SECRET_KEY."""
    token = settings.MOLLIE_WEBHOOK_TOKEN or _webhook_token(settings.SECRET_KEY)
    return reverse("mollie_webhook", kwargs={"token": token})


def webhook_token_is_ours(token: str) -> bool:
    """Whether `token` is the webhook path's token (one made with a SECRET_KEY_FALLBACKS key
    too: payments made before a key rotation keep their address)."""
    if settings.MOLLIE_WEBHOOK_TOKEN:
        return constant_time_compare(token, settings.MOLLIE_WEBHOOK_TOKEN)
    keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    matches = [constant_time_compare(token, _webhook_token(key)) for key in keys]  # every one
    return any(matches)


def webhook_url() -> str | None:
    """Our webhook's address, only when Mollie can reach us (it refuses a localhost URL)."""
    base = settings.MOLLIE_WEBHOOK_BASE_URL
    return f"{base}{webhook_path()}" if base else None


def gift_source_fields(*, link: str = "", page: str = "") -> dict:
    """The donation's fields that say where its form was opened (docs/attribution.md)."""
    source = gift_source(link_code=link, page=page)
    return {
        "source_link": source.link,
        "source_page": source.page,
        "source_campaign": source.campaign,
    }


def donor_first_gift(*, supporter_id: int, paid_at) -> None:
    """Remember when a supporter's first gift was paid (the cohort figures count from it); a
    donor record that exists already is left as it is. The one writer of `first_gift_at`."""
    Donor.objects.bulk_create(
        [Donor(supporter_id=supporter_id, first_gift_at=paid_at)], ignore_conflicts=True
    )


def donation_first_paid(*, donation_id: int | None, subscription_id: int | None, paid_at) -> None:
    """Remember when a gift was first paid: its first payment, or by mandate (no first
    payment) the first charge of its subscription. One UPDATE; a later call changes nothing."""
    whose = Q(pk=donation_id) if donation_id else Q(subscription__pk=subscription_id)
    Donation.objects.filter(whose, first_paid_at__isnull=True).update(first_paid_at=paid_at)

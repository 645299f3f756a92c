"""Gifts and their payments, mirroring Mollie's payments and subscriptions one row each."""

import secrets
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import ExpressionWrapper, F
from django.utils.translation import gettext_lazy as _

from supporters.models import Supporter

ZERO = Decimal("0.00")


def new_public_token() -> str:
    return secrets.token_urlsafe(24)


class Frequency(models.TextChoices):
    MONTHLY = "monthly", _("monthly")
    ONEOFF = "oneoff", _("one-off")


class Donation(models.Model):
    """What a donor asked for on the form: one row per press of the donate button."""

    public_token = models.CharField(
        max_length=64, unique=True, default=new_public_token, editable=False
    )
    supporter = models.ForeignKey(
        Supporter, verbose_name=_("supporter"), related_name="donations", on_delete=models.PROTECT
    )
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices)
    language = models.CharField(_("language"), max_length=5, choices=settings.LANGUAGES)
    created_supporter = models.BooleanField(
        _("created the supporter"),
        default=False,
        help_text=_("This donation created the supporter record (there was nothing older)."),
    )
    start_error = models.TextField(
        _("start error"), blank=True, help_text=_("Why the payment could not be started.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("donation")
        verbose_name_plural = _("donations")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["frequency", "created_at"]),
            models.Index(fields=["language", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"€ {self.amount} {self.get_frequency_display()} ({self.pk})"

    @property
    def is_monthly(self) -> bool:
        return self.frequency == Frequency.MONTHLY


class SubscriptionStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    ACTIVE = "active", _("active")
    CANCELED = "canceled", _("canceled")
    SUSPENDED = "suspended", _("suspended")
    COMPLETED = "completed", _("completed")


# A monthly gift that runs, or will once its mandate is confirmed: the donor can change or stop
# it, and erasing the donor stops it first.
ACTIVE_SUBSCRIPTION_STATUSES = frozenset({SubscriptionStatus.ACTIVE, SubscriptionStatus.PENDING})


class SubscriptionQuerySet(models.QuerySet):
    def active(self) -> "SubscriptionQuerySet":
        return self.filter(status__in=ACTIVE_SUBSCRIPTION_STATUSES)


class Subscription(models.Model):
    """A monthly gift at Mollie. Created once, from the donation's paid first payment."""

    mollie_id = models.CharField(_("Mollie id"), max_length=40, unique=True)
    donation = models.OneToOneField(
        Donation,
        verbose_name=_("donation"),
        related_name="subscription",
        on_delete=models.PROTECT,
    )
    supporter = models.ForeignKey(
        Supporter,
        verbose_name=_("supporter"),
        related_name="subscriptions",
        on_delete=models.PROTECT,
    )
    customer_id = models.CharField(_("Mollie customer id"), max_length=40)
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    interval = models.CharField(_("interval"), max_length=20, default="1 month")
    status = models.CharField(
        _("status"), max_length=12, choices=SubscriptionStatus.choices, db_index=True
    )
    start_date = models.DateField(_("first charge"))
    next_payment_date = models.DateField(_("next charge"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), auto_now_add=True, db_index=True)
    canceled_at = models.DateTimeField(_("canceled"), null=True, blank=True, db_index=True)
    mollie_data = models.JSONField(_("last data from Mollie"), default=dict, blank=True)
    synced_at = models.DateTimeField(_("last synced"), null=True, blank=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        verbose_name = _("monthly gift")
        verbose_name_plural = _("monthly gifts")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.mollie_id} € {self.amount}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_SUBSCRIPTION_STATUSES


class PaymentStatus(models.TextChoices):
    OPEN = "open", _("open")
    PENDING = "pending", _("pending")
    AUTHORIZED = "authorized", _("authorized")
    PAID = "paid", _("paid")
    CANCELED = "canceled", _("canceled")
    EXPIRED = "expired", _("expired")
    FAILED = "failed", _("failed")


FINAL_STATUSES = frozenset(
    {PaymentStatus.PAID, PaymentStatus.CANCELED, PaymentStatus.EXPIRED, PaymentStatus.FAILED}
)
UNSUCCESSFUL_STATUSES = frozenset(
    {PaymentStatus.CANCELED, PaymentStatus.EXPIRED, PaymentStatus.FAILED}
)


class SequenceType(models.TextChoices):
    ONEOFF = "oneoff", _("one-off")
    FIRST = "first", _("first of a monthly gift")
    RECURRING = "recurring", _("monthly charge")


# What we keep of a payment: the amount less what was refunded and charged back. The one
# definition, in SQL for sums in the database (reports, totals) and as `Payment.amount_kept`
# for a row in hand (statements, the gifts table, refunds); a test holds the two together.
NET_AMOUNT = ExpressionWrapper(
    F("amount") - F("amount_refunded") - F("amount_charged_back"),
    output_field=models.DecimalField(max_digits=12, decimal_places=2),
)


class PaymentQuerySet(models.QuerySet):
    def paid(self) -> "PaymentQuerySet":
        return self.filter(status=PaymentStatus.PAID)


class Payment(models.Model):
    """One Mollie payment (`tr_...`). Status and amounts follow Mollie through `payment_sync`."""

    mollie_id = models.CharField(_("Mollie id"), max_length=40, unique=True)
    donation = models.ForeignKey(
        Donation,
        verbose_name=_("donation"),
        related_name="payments",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    subscription = models.ForeignKey(
        Subscription,
        verbose_name=_("monthly gift"),
        related_name="payments",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    # Kept on the row (it is also reachable through the donation or subscription) so a
    # supporter's history is one indexed query however the payment came about.
    supporter = models.ForeignKey(
        Supporter,
        verbose_name=_("supporter"),
        related_name="payments",
        on_delete=models.PROTECT,
    )
    status = models.CharField(_("status"), max_length=12, choices=PaymentStatus.choices)
    sequence_type = models.CharField(
        _("sequence type"), max_length=10, choices=SequenceType.choices
    )
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    amount_refunded = models.DecimalField(
        _("refunded"), max_digits=10, decimal_places=2, default=ZERO
    )
    amount_charged_back = models.DecimalField(
        _("charged back"), max_digits=10, decimal_places=2, default=ZERO
    )
    method = models.CharField(_("method"), max_length=30, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed or ended"), null=True, blank=True)
    mollie_data = models.JSONField(_("last data from Mollie"), default=dict, blank=True)
    synced_at = models.DateTimeField(_("last synced"), null=True, blank=True)

    objects = PaymentQuerySet.as_manager()

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(donation__isnull=False) | models.Q(subscription__isnull=False),
                name="payment_belongs_to_a_gift",
            ),
            models.CheckConstraint(
                condition=models.Q(amount_refunded__gte=0) & models.Q(amount_charged_back__gte=0),
                name="payment_amounts_not_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["status", "paid_at"]),
            models.Index(fields=["paid_at"]),
            models.Index(fields=["created_at"]),
            models.Index(fields=["sequence_type", "created_at"]),
            models.Index(fields=["supporter", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.mollie_id} € {self.amount} {self.status}"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def is_paid(self) -> bool:
        return self.status == PaymentStatus.PAID

    @property
    def is_oneoff(self) -> bool:
        return self.sequence_type == SequenceType.ONEOFF

    @property
    def is_recurring(self) -> bool:
        """A monthly charge Mollie made by itself (not the first payment the donor made)."""
        return self.sequence_type == SequenceType.RECURRING

    @property
    def amount_returned(self) -> Decimal:
        """What went back to the donor: refunds and chargebacks together."""
        return self.amount_refunded + self.amount_charged_back

    @property
    def amount_kept(self) -> Decimal:
        """The amount less what went back (`NET_AMOUNT` for a row in hand), paid or not."""
        return self.amount - self.amount_returned

    @property
    def net_amount(self) -> Decimal:
        """What we keep of a paid payment: refunds and chargebacks deducted."""
        return self.amount_kept if self.is_paid else ZERO

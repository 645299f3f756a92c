"""Gifts and their payments, mirroring Mollie's payments and subscriptions one row each."""

import secrets
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Case, ExpressionWrapper, F, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from campaign.models import Campaign, CampaignLink
from supporters.models import Supporter

ZERO = Decimal("0.00")


def new_public_token() -> str:
    return secrets.token_urlsafe(24)


class Frequency(models.TextChoices):
    MONTHLY = "monthly", _("monthly")
    QUARTERLY = "quarterly", _("every quarter")
    YEARLY = "yearly", _("yearly")
    ONEOFF = "oneoff", _("one-off")


# Months between two charges of a recurring gift. Mollie's interval is "<n> months".
FREQUENCY_MONTHS = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3, Frequency.YEARLY: 12}


def mollie_interval(months: int) -> str:
    return "1 month" if months == 1 else f"{months} months"


def interval_months(interval: str) -> int:
    """Mollie's "1 month", "3 months", "12 months" as a number of months (1 for anything else)."""
    number, _space, unit = (interval or "").partition(" ")
    return int(number) if number.isdigit() and unit.startswith("month") else 1


class Donor(models.Model):
    """What the donations app knows of a supporter as a giver: money facts, kept here rather
    than on the supporter (who they are is the supporters app's, and knows nothing of money).

    `first_gift_at` is when their first gift was paid: the cohort they belong to in the
    retention figures, recorded when it happens (donations/services/sync.py) instead of being
    searched for over a million payments later.
    """

    supporter = models.OneToOneField(
        Supporter,
        verbose_name=_("supporter"),
        primary_key=True,
        related_name="donor",
        on_delete=models.PROTECT,
    )
    first_gift_at = models.DateTimeField(_("first gift"), db_index=True)

    class Meta:
        verbose_name = _("donor")
        verbose_name_plural = _("donors")

    def __str__(self) -> str:
        return f"{self.supporter_id}: {self.first_gift_at:%Y-%m-%d}"


class PaymentRoute(models.TextChoices):
    """How a gift's money comes in."""

    CHECKOUT = "checkout", _("through Mollie's checkout (iDEAL, card, …)")
    MANDATE = "mandate", _("by direct-debit mandate (IBAN)")
    RECORDED = "recorded", _("outside Mollie, recorded by staff or from a bank statement")


class PaymentOrigin(models.TextChoices):
    """Who knows about a payment first: Mollie, staff who recorded it, or our bank."""

    MOLLIE = "mollie", _("Mollie")
    STAFF = "staff", _("recorded by staff")
    BANK = "bank", _("bank statement")


class RecordedMethod(models.TextChoices):
    """How money that did not come through Mollie was given."""

    TRANSFER = "banktransfer", _("bank transfer")
    CASH = "cash", _("cash")
    IN_KIND = "inkind", _("gift in kind (its value)")


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
    # A regular gift's own Mollie customer, made for it alone: its first payment leaves the
    # gift's mandate there, and no other gift (say, one a stranger started with the same
    # address) can ever be charged from it or see it. Empty for one-off gifts.
    mollie_customer_id = models.CharField(_("Mollie customer id"), max_length=40, blank=True)
    route = models.CharField(
        _("how it is paid"),
        max_length=10,
        choices=PaymentRoute.choices,
        default=PaymentRoute.CHECKOUT,
    )
    created_supporter = models.BooleanField(
        _("created the supporter"),
        default=False,
        help_text=_("This donation created the supporter record (there was nothing older)."),
    )
    start_error = models.TextField(
        _("start error"), blank=True, help_text=_("Why the payment could not be started.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    # Where the gift form was opened (docs/attribution.md): the campaign link followed, else
    # the page the form sat on; and that link's or page's campaign. Nothing about the visitor.
    source_link = models.ForeignKey(
        CampaignLink,
        verbose_name=_("campaign link"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    source_page = models.CharField(_("started on page"), max_length=50, blank=True)
    # When the gift's first payment (or, by mandate, its first charge) was paid; empty while
    # it was not. For the figures per source and the goals, without looking at every payment.
    first_paid_at = models.DateTimeField(_("first paid"), null=True, blank=True)
    source_campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("donation")
        verbose_name_plural = _("donations")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["frequency", "created_at"]),
            models.Index(fields=["language", "created_at"]),
            models.Index(fields=["source_campaign", "created_at"], name="donation_source_created"),
        ]

    def __str__(self) -> str:
        return f"€ {self.amount} {self.get_frequency_display()} ({self.pk})"

    @property
    def is_recurring(self) -> bool:
        """Monthly, quarterly or yearly: a first payment, then a Mollie subscription."""
        return self.frequency in FREQUENCY_MONTHS

    @property
    def months(self) -> int | None:
        return FREQUENCY_MONTHS.get(self.frequency)


class SubscriptionStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    ACTIVE = "active", _("active")
    CANCELED = "canceled", _("canceled")
    SUSPENDED = "suspended", _("suspended")
    COMPLETED = "completed", _("completed")


# Mollie's statuses of a subscription that still charges, or will: active, pending (waiting
# for a valid mandate) and suspended (until it gets a working one).
ACTIVE_SUBSCRIPTION_STATUSES = frozenset(
    {SubscriptionStatus.ACTIVE, SubscriptionStatus.PENDING, SubscriptionStatus.SUSPENDED}
)


# A charge failed this many times in a row: the gift is "at risk" for staff.
AT_RISK_AFTER_FAILURES = 3


class GiftState(models.TextChoices):
    """How a recurring gift stands, for the donor and for staff."""

    ACTIVE = "active", _("active")
    PAUSED = "paused", _("paused")
    AT_RISK = "at_risk", _("at risk")
    STOPPED = "stopped", _("stopped")


class GiftPhase(models.TextChoices):
    """Where a regular gift is in its life (see donations/lifecycle.py for what each accepts)."""

    RUNNING = "running", _("running")
    WAITING = "waiting", _("waiting for a mandate")
    PAUSED = "paused", _("paused")
    PAUSED_UNSCHEDULED = "paused-unscheduled", _("paused, resume to be scheduled")
    SUSPENDED = "suspended", _("suspended by Mollie")
    HALTED = "halted", _("halted: the bank could not collect")
    STOPPED = "stopped", _("stopped")


class Attention(models.TextChoices):
    """Why staff should look at a regular gift."""

    DECEASED = "deceased", _("account holder deceased")
    REFUSED_TWICE = "refused-twice", _("refused or reversed twice")


class SubscriptionQuerySet(models.QuerySet):
    def active(self) -> "SubscriptionQuerySet":
        """Not stopped: running at Mollie (active), waiting for a mandate (pending), suspended
        by Mollie until it gets a working mandate, halted by us for the same reason (the bank
        said the account cannot be debited), or paused by the donor. The gift goes on: the
        donor can change or stop it, and erasing the donor stops it first."""
        return self.filter(
            models.Q(status__in=ACTIVE_SUBSCRIPTION_STATUSES)
            | models.Q(paused_until__isnull=False)
            | models.Q(halted_reason__gt="")
        )


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
    # The mandate the Mollie subscription is pinned to: that of the gift's own first payment,
    # or of its newest payment-method change. Never left to Mollie's choice.
    mandate_id = models.CharField(_("Mollie mandate id"), max_length=40, blank=True)
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
    # Paused by the donor: no charge before this day, the first charge after the pause. The
    # Mollie subscription that charged before the pause is canceled; the one that starts on
    # this day is made at once (or by reconciliation when Mollie was unreachable then).
    paused_until = models.DateField(_("paused until"), null=True, blank=True)
    failed_in_a_row = models.PositiveSmallIntegerField(_("failed charges in a row"), default=0)
    at_risk_since = models.DateTimeField(_("at risk since"), null=True, blank=True)
    # The next charge differs from what the donor is used to (a higher amount, the first after
    # a pause or a new payment method): they are told a few days ahead (PRE_DEBIT_NOTICE_DAYS).
    notice_due = models.BooleanField(_("pre-debit notice due"), default=False)
    # The bank's reason code when we stopped collecting because the account cannot be debited
    # (closed, blocked, no mandate: donations/bank_reasons.py). Mollie's subscription is then
    # canceled; the gift waits for a new account or payment method, which starts it again.
    halted_reason = models.CharField(_("halted for bank reason"), max_length=8, blank=True)
    # A gift given by mandate has had no paid charge yet: its first paid charge is the donor's
    # first gift (for a gift begun at the checkout, the first payment was).
    awaits_first_gift = models.BooleanField(_("no paid charge yet"), default=False)
    # Shown to staff: the donor refused or reversed collections twice, or has died (why, in
    # `attention_reason`); cleared when staff mark it as dealt with.
    attention_since = models.DateTimeField(_("needs staff attention since"), null=True, blank=True)
    attention_reason = models.CharField(
        _("why"), max_length=16, choices=Attention.choices, blank=True
    )

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        verbose_name = _("regular gift")
        verbose_name_plural = _("regular gifts")
        ordering = ["-started_at"]
        # Stored in English; the admin shows them in the reader's language (core/admin.py).
        permissions = [("cancel_subscription", gettext_noop("Can stop regular gifts at Mollie"))]

    def __str__(self) -> str:
        return f"{self.mollie_id} € {self.amount}"

    @property
    def is_active(self) -> bool:
        """Not stopped (the row form of `Subscription.objects.active()`)."""
        return self.phase != GiftPhase.STOPPED

    @property
    def is_paused(self) -> bool:
        return self.paused_until is not None

    @property
    def months(self) -> int:
        return interval_months(self.interval)

    @property
    def frequency(self) -> str:
        """How often it is charged, as the donor chose it (monthly, quarterly, yearly)."""
        by_months = {months: frequency for frequency, months in FREQUENCY_MONTHS.items()}
        return by_months.get(self.months, Frequency.MONTHLY)

    def get_frequency_display(self) -> str:
        return Frequency(self.frequency).label

    @property
    def monthly_amount(self) -> Decimal:
        """What this gift brings in per month (a yearly gift of 120 is 10 a month)."""
        return (self.amount / self.months).quantize(Decimal("0.01"))

    @property
    def phase(self) -> str:
        """Where the gift is in its life, from Mollie's status and the donor's pause."""
        if self.paused_until is not None:
            if self.status == SubscriptionStatus.CANCELED:
                return GiftPhase.PAUSED_UNSCHEDULED
            return GiftPhase.PAUSED
        if self.halted_reason and self.status == SubscriptionStatus.CANCELED:
            return GiftPhase.HALTED
        return {
            SubscriptionStatus.ACTIVE: GiftPhase.RUNNING,
            SubscriptionStatus.PENDING: GiftPhase.WAITING,
            SubscriptionStatus.SUSPENDED: GiftPhase.SUSPENDED,
        }.get(self.status, GiftPhase.STOPPED)

    @property
    def state(self) -> str:
        """What the donor and staff are shown: active, paused, at risk or stopped."""
        phase = self.phase
        if phase in (GiftPhase.PAUSED, GiftPhase.PAUSED_UNSCHEDULED):
            return GiftState.PAUSED
        if phase in (GiftPhase.SUSPENDED, GiftPhase.HALTED):
            return GiftState.AT_RISK  # nothing is charged until it has a working mandate
        if phase == GiftPhase.STOPPED:
            return GiftState.STOPPED
        return GiftState.AT_RISK if self.at_risk_since is not None else GiftState.ACTIVE

    def get_state_display(self) -> str:
        return GiftState(self.state).label


class FormerMollieSubscription(models.Model):
    """A Mollie subscription that once charged a gift and was replaced (by a pause).

    Kept so a late webhook for one of its charges still finds the gift.
    """

    subscription = models.ForeignKey(
        Subscription, related_name="former_mollie_ids", on_delete=models.CASCADE
    )
    mollie_id = models.CharField(_("Mollie id"), max_length=40, unique=True)
    replaced_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.mollie_id


class GiftChange(models.Model):
    """One change to a regular gift at Mollie, from the moment it is decided until Mollie's
    answer is stored: pause, resume, stop, a new amount or mandate, or a comparison.

    At most one is open per gift (a unique constraint), so changes to one gift happen one after
    another, each deciding from the state the one before left, and none holds a row lock while
    Mollie answers. A change whose Mollie call failed, or whose process died, is *unsettled*:
    Mollie may or may not have done it. The next change of the gift, or reconciliation, first
    settles it from what Mollie shows (donations/services/changes.py). What a change needs to
    be finished later is in `details` (amounts, dates, ids; nothing personal).
    """

    class Kind(models.TextChoices):
        PAUSE = "pause", _("pause")
        RESUME = "resume", _("end of a pause")
        SCHEDULE = "schedule", _("resume scheduled")
        STOP = "stop", _("stop")
        AMOUNT = "amount", _("new amount")
        MANDATE = "mandate", _("new payment method")
        COMPARE = "compare", _("comparison with Mollie")
        HALT = "halt", _("collection halted (bank)")
        RETRY = "retry", _("new attempt of a returned debit")

    class Status(models.TextChoices):
        OPEN = "open", _("in progress")
        UNSETTLED = "unsettled", _("to be checked with Mollie")
        DONE = "done", _("done")
        UNCHANGED = "unchanged", _("nothing to do")
        FAILED = "failed", _("did not happen")

    subscription = models.ForeignKey(
        Subscription,
        verbose_name=_("regular gift"),
        related_name="changes",
        on_delete=models.CASCADE,
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    details = models.JSONField(_("details"), default=dict, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("change to a regular gift")
        verbose_name_plural = _("changes to regular gifts")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription"],
                condition=models.Q(status="open"),
                name="one_open_change_per_gift",
            )
        ]
        indexes = [
            models.Index(
                fields=["status", "created_at"],
                condition=models.Q(status__in=["open", "unsettled"]),
                name="gift_change_unfinished",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"


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
    FIRST = "first", _("first of a regular gift")
    RECURRING = "recurring", _("charge of a regular gift")


# What we keep of a payment: the amount less what was refunded and charged back. The one
# definition, in SQL for sums in the database (reports, totals) and as `Payment.amount_kept`
# for a row in hand (statements, the gifts table, refunds); a test holds the two together.
# The day a gift counts on (docs/gift-dates.md): a direct debit (a regular gift's charge, or
# a collection on a mandate by IBAN) on its collection day, the day Mollie made it, since the
# money leaves the donor's account then; anything else on the day it was paid.
GIFT_DAY = Case(
    When(sequence_type="recurring", then=F("created_at")),
    When(method="directdebit", then=F("created_at")),
    default=F("paid_at"),
    output_field=models.DateTimeField(),
)

NET_AMOUNT = ExpressionWrapper(
    F("amount") - F("amount_refunded") - F("amount_charged_back"),
    output_field=models.DecimalField(max_digits=12, decimal_places=2),
)


class Recovery(models.TextChoices):
    """What the site did about a direct debit the bank returned (donations/bank_reasons.py)."""

    RETRY_DUE = "retry-due", _("a new attempt is planned")
    RETRIED = "retried", _("tried again")
    NOT_RETRIED = "not-retried", _("no new attempt: the gift had changed")
    HALTING = "halting", _("stopping collection")
    HALTED = "halted", _("collection stopped, donor asked for a new account")
    HALTED_QUIETLY = "halted-quietly", _("collection stopped, shown to staff")
    TOLD = "told", _("no new attempt, donor told")
    FLAGGED = "flagged", _("no new attempt, donor told, shown to staff")
    USUAL = "usual", _("the usual email")


class PaymentQuerySet(models.QuerySet):
    def paid(self) -> "PaymentQuerySet":
        """Paid gifts: a payment-method check (a cent, refunded) is not a gift."""
        return self.filter(status=PaymentStatus.PAID, is_verification=False)


class Payment(models.Model):
    """One Mollie payment (`tr_...`). Status and amounts follow Mollie through `payment_sync`."""

    # Empty (NULL) for money that did not come through Mollie (`origin`).
    mollie_id = models.CharField(_("Mollie id"), max_length=40, unique=True, null=True, blank=True)
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
        verbose_name=_("regular gift"),
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
    # The mandate Mollie made from (a first payment) or charged with (a recurring one).
    mandate_id = models.CharField(_("Mollie mandate id"), max_length=40, blank=True)
    # The smallest payment Mollie allows, made to confirm a new payment method (a new mandate)
    # for a running gift; refunded as soon as it is paid. Not a gift.
    is_verification = models.BooleanField(_("payment method check"), default=False)
    # A charge of a regular gift that did not go through, after which a later charge of the
    # same gift was paid (set when that one is paid, for the failed-charges figure).
    recovered = models.BooleanField(_("recovered later"), default=False)
    # A direct debit the bank returned: its reason (details.bankReasonCode, or a chargeback's
    # reason code), what we did about it, and, for one we try again, when and which attempt.
    bank_reason_code = models.CharField(_("bank's reason"), max_length=8, blank=True)
    recovery = models.CharField(
        _("what we did"), max_length=16, choices=Recovery.choices, blank=True
    )
    retry_due_on = models.DateField(_("new attempt on"), null=True, blank=True)
    retry_of = models.OneToOneField(
        "self",
        verbose_name=_("new attempt of"),
        related_name="retry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    # When the payment was made at Mollie (Mollie's createdAt for a charge Mollie made on its
    # own, which we learn of days later when a direct debit is paid), else when we made it.
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed or ended"), null=True, blank=True)
    mollie_data = models.JSONField(_("last data from Mollie"), default=dict, blank=True)
    synced_at = models.DateTimeField(_("last synced"), null=True, blank=True)
    # Money that did not come through Mollie (docs/recorded-gifts.md): who knew of it first,
    # the transfer's reference or staff's note, who recorded it, the agreement it pays.
    origin = models.CharField(
        _("origin"), max_length=8, choices=PaymentOrigin.choices, default=PaymentOrigin.MOLLIE
    )
    reference = models.CharField(_("reference"), max_length=140, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    # What a form that records a gift by hand carried (one per form shown): the same form sent
    # twice records one gift.
    record_key = models.CharField(max_length=40, unique=True, null=True, blank=True, editable=False)
    agreement = models.ForeignKey(
        "PeriodicAgreement",
        verbose_name=_("periodic gift agreement"),
        related_name="transfers",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("Set for a transfer paid against a periodic gift agreement."),
    )

    objects = PaymentQuerySet.as_manager()

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at"]
        # What each staff page and action outside plain viewing needs (docs/security.md);
        # stored in English, shown in the reader's language (core/admin.py).
        permissions = [
            ("view_figures", gettext_noop("Can see the giving figures (totals, no names)")),
            ("export_payments", gettext_noop("Can export payments with donors' details")),
            ("refund_payment", gettext_noop("Can refund payments through Mollie")),
            ("record_gift", gettext_noop("Can record gifts made outside Mollie")),
            ("import_statement", gettext_noop("Can import bank statements and match transfers")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(origin="mollie", mollie_id__isnull=False)
                | (~models.Q(origin="mollie") & models.Q(mollie_id__isnull=True)),
                name="payment_mollie_id_only_from_mollie",
            ),
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
            # Covering the monthly figures (index-only scans over a year of paid gifts).
            models.Index(
                fields=["status", "paid_at"],
                include=[
                    "amount",
                    "amount_refunded",
                    "amount_charged_back",
                    "sequence_type",
                    "is_verification",
                ],
                name="payment_paid_figures",
            ),
            models.Index(fields=["paid_at"]),
            # Covering the money received per source (docs/attribution.md): an index-only scan
            # over a year of paid gifts, with the gift each belongs to.
            models.Index(
                fields=["paid_at"],
                include=[
                    "amount",
                    "amount_refunded",
                    "amount_charged_back",
                    "donation",
                    "subscription",
                ],
                condition=models.Q(status="paid", is_verification=False),
                name="payment_paid_sources",
            ),
            models.Index(fields=["created_at"]),
            models.Index(
                fields=["sequence_type", "created_at"],
                include=["status", "recovered"],
                name="payment_charge_figures",
            ),
            models.Index(fields=["supporter", "-created_at"]),
            models.Index(fields=["supporter", "paid_at"]),
            models.Index(fields=["subscription", "created_at"]),
            # The returned debits: what reconciliation still has to do, and staff's list.
            models.Index(
                fields=["retry_due_on"],
                condition=models.Q(recovery__in=["retry-due", "halting"]),
                name="payment_recovery_due",
            ),
            models.Index(
                fields=["created_at"],
                condition=models.Q(recovery__gt=""),
                name="payment_returned_debits",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mollie_id or f'#{self.pk}'} € {self.amount} {self.status}"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def is_paid(self) -> bool:
        return self.status == PaymentStatus.PAID

    @property
    def is_unsuccessful(self) -> bool:
        """Failed, canceled or expired: no money came, and none will."""
        return self.status in UNSUCCESSFUL_STATUSES

    @property
    def is_oneoff(self) -> bool:
        return self.sequence_type == SequenceType.ONEOFF

    @property
    def gift_at(self):
        """The moment the gift counts on (GIFT_DAY): a direct debit's collection, else when it
        was paid; for a payment not paid (yet), when it was made."""
        if self.sequence_type == SequenceType.RECURRING or self.method == "directdebit":
            return self.created_at
        return self.paid_at or self.created_at

    @property
    def frequency(self) -> str:
        """How often the gift this payment belongs to is given (its donation's frequency)."""
        donation = self.donation if self.donation_id else None
        if donation is None and self.subscription_id:
            donation = self.subscription.donation
        return donation.frequency if donation is not None else Frequency.ONEOFF

    @property
    def is_being_collected(self) -> bool:
        """A direct debit the bank has not settled yet (it takes some days)."""
        return self.status in (PaymentStatus.OPEN, PaymentStatus.PENDING) and (
            self.sequence_type == SequenceType.RECURRING or self.method == "directdebit"
        )

    @property
    def is_recorded(self) -> bool:
        """Money that did not come through Mollie: recorded by staff or from a statement."""
        return self.origin != PaymentOrigin.MOLLIE

    @property
    def recorded_label(self) -> str:
        """How recorded money was given, in words ("bank transfer"); "" for Mollie's."""
        if not self.is_recorded:
            return ""
        labels = dict(RecordedMethod.choices)
        return str(labels.get(self.method, PaymentOrigin(self.origin).label))

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


# What a payment shows wherever one is listed for people: a donor's history, the supporter's
# page in the admin, the admin's payments, the staff's CSV (each adds what it needs besides).
PAYMENT_HISTORY_COLUMNS = (
    "created_at",
    "origin",
    "method",
    "paid_at",
    "amount",
    "sequence_type",
    "status",
    "amount_refunded",
    "amount_charged_back",
    "is_verification",
)
PAYMENT_COLUMNS = (
    "mollie_id",
    "created_at",
    "paid_at",
    "status",
    "sequence_type",
    "amount",
    "amount_refunded",
    "amount_charged_back",
    "method",
    "origin",
    "reference",
)


class MandateChange(models.Model):
    """A donor moving a running gift to a new payment method.

    A verification payment (`payment`) through Mollie's checkout gives a new mandate; when it is
    paid, the Mollie subscription is moved to that mandate, the verification is refunded and
    the old mandate is revoked (once no charge on it is still pending).
    """

    class Status(models.TextChoices):
        STARTED = "started", _("started")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    public_token = models.CharField(
        max_length=64, unique=True, default=new_public_token, editable=False
    )
    subscription = models.ForeignKey(
        Subscription, related_name="mandate_changes", on_delete=models.PROTECT
    )
    payment = models.OneToOneField(
        Payment, related_name="mandate_change", on_delete=models.PROTECT, null=True, blank=True
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.STARTED)
    old_mandate_id = models.CharField(max_length=40, blank=True)
    new_mandate_id = models.CharField(max_length=40, blank=True)
    old_mandate_revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("payment method change")
        verbose_name_plural = _("payment method changes")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.subscription.mollie_id}: {self.old_mandate_id} → {self.new_mandate_id}"

    @property
    def in_progress(self) -> bool:
        """The check payment is not through yet (the page waits for it)."""
        return self.status == self.Status.STARTED


class BankMandateQuerySet(models.QuerySet):
    def end(self, end: str) -> int:
        """End these mandates (those not ended yet) for reason `end`, forgetting their holders'
        names and stop links. Revoking them at Mollie is the caller's part."""
        return self.filter(status__in=["new", "active"]).update(
            status="ended",
            end=end,
            ended_at=timezone.now(),
            holder_name="",
            stop_token_hash="",
        )


class BankMandate(models.Model):
    """A direct-debit mandate (machtiging) a donor gave with their IBAN, made at Mollie.

    Mollie keeps the IBAN; the site keeps its masked form (NL** **** **** 1234) and, while the
    mandate lives, the holder's name (cleared when it ends). `reference` is ours, given to
    Mollie as the mandate reference. The donor gets a notice by email (the mandate, the first
    collection, a link to stop it); the gift's Mollie subscription is made only once that
    notice has gone out, and charges no earlier than `first_collection_on`.
    """

    class Status(models.TextChoices):
        NEW = "new", _("being set up")
        ACTIVE = "active", _("active")
        ENDED = "ended", _("ended")

    class End(models.TextChoices):
        NOT_ME = "not-me", _("stopped with the link in the email")
        REPLACED = "replaced", _("replaced by another account")
        BANK = "bank", _("the bank could not collect")
        GIFT_STOPPED = "gift-stopped", _("the gift stopped")
        REFUSED = "refused", _("Mollie did not accept it")
        UNNOTIFIED = "unnotified", _("the notice could not be sent")

    donation = models.ForeignKey(
        Donation,
        verbose_name=_("donation"),
        related_name="bank_mandates",
        on_delete=models.PROTECT,
    )
    reference = models.CharField(_("mandate reference"), max_length=35, unique=True)
    mollie_id = models.CharField(_("Mollie mandate id"), max_length=40, blank=True)
    iban_masked = models.CharField(_("account"), max_length=34)
    # A keyed hash of the account (donations.bank.iban_fingerprint): staff find an account's
    # mandates by typing it into the admin's search; the account itself is not kept.
    iban_fingerprint = models.CharField(max_length=64, blank=True, db_index=True)
    holder_name = models.CharField(_("account holder"), max_length=200, blank=True)
    signed_on = models.DateField(_("signed"))
    first_collection_on = models.DateField(_("first collection"))
    notice_sent_at = models.DateTimeField(_("notice sent"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.NEW
    )
    end = models.CharField(_("why it ended"), max_length=16, choices=End.choices, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    # The "this was not me" link: only a hash of its token is kept, and it works once, until
    # the given moment.
    stop_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    stop_link_expires_at = models.DateTimeField(null=True, blank=True)
    # Stopped with that link: when Mollie, too, was told (revoked there, the gift stopped).
    revoked_at = models.DateTimeField(_("revoked at Mollie"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = BankMandateQuerySet.as_manager()

    class Meta:
        verbose_name = _("mandate by IBAN")
        verbose_name_plural = _("mandates by IBAN")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(status="active", notice_sent_at__isnull=True),
                name="bank_mandate_notice_unsent",
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.iban_masked})"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


# The shortest periodic gift the Dutch tax authority accepts (docs/periodic-gifts.md).
AGREEMENT_MIN_YEARS = 5


class PeriodicAgreement(models.Model):
    """A "periodieke gift" agreement (Dutch tax): a fixed yearly amount for at least five
    years, ending at the donor's death, which makes the whole gift deductible without the
    threshold. What it records, and why, is in docs/periodic-gifts.md.

    Kept like the payments (the tax authority may ask either side for it): erasing the donor
    does not erase it.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        ENDED = "ended", _("ended")

    MIN_YEARS = AGREEMENT_MIN_YEARS

    transaction_number = models.CharField(_("transaction number"), max_length=20, unique=True)
    supporter = models.ForeignKey(
        Supporter, verbose_name=_("supporter"), related_name="agreements", on_delete=models.PROTECT
    )
    subscription = models.ForeignKey(
        Subscription,
        verbose_name=_("gift that pays it"),
        related_name="agreements",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    yearly_amount = models.DecimalField(_("amount per year"), max_digits=10, decimal_places=2)
    years = models.PositiveSmallIntegerField(
        _("years"), null=True, blank=True, help_text=_("Empty: for an indefinite period.")
    )
    start_date = models.DateField(_("first payment"))
    ends_on_income_loss = models.BooleanField(
        _("ends on unemployment or incapacity for work"), default=True
    )
    donor_surname = models.CharField(_("surname"), max_length=120)
    donor_first_names = models.CharField(_("first names (in full)"), max_length=200)
    donor_birth_date = models.DateField(_("date of birth"))
    donor_birth_place = models.CharField(_("place of birth"), max_length=120)
    donor_street = models.CharField(_("street and number"), max_length=200)
    donor_postcode = models.CharField(_("postcode"), max_length=12)
    donor_city = models.CharField(_("town"), max_length=120)
    donor_country = models.CharField(_("country"), max_length=80, default="Nederland")
    partner_name = models.CharField(_("partner's full name"), max_length=240, blank=True)
    partner_birth_date = models.DateField(_("partner's date of birth"), null=True, blank=True)
    partner_birth_place = models.CharField(
        _("partner's place of birth"), max_length=120, blank=True
    )
    signed_name = models.CharField(_("signed by (name typed)"), max_length=240)
    signed_place = models.CharField(_("signed at (place)"), max_length=120)
    signed_at = models.DateTimeField(_("signed"))
    organisation_name = models.CharField(_("organisation"), max_length=200)
    organisation_rsin = models.CharField(_("RSIN"), max_length=20)
    organisation_signatory = models.CharField(_("signed for the organisation by"), max_length=240)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("periodic gift agreement")
        verbose_name_plural = _("periodic gift agreements")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(years__isnull=True) | models.Q(years__gte=AGREEMENT_MIN_YEARS),
                name="agreement_at_least_five_years",
            ),
            models.CheckConstraint(
                condition=models.Q(yearly_amount__gt=0), name="agreement_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.transaction_number} € {self.yearly_amount}/year"

    @property
    def end_year(self) -> int | None:
        """The last calendar year of a fixed-term agreement (None: indefinite)."""
        return self.start_date.year + self.years - 1 if self.years else None

    def covers_year(self, year: int) -> bool:
        ended = self.ended_at.year if self.ended_at else None
        return (
            self.start_date.year <= year
            and (self.end_year is None or year <= self.end_year)
            and (ended is None or year <= ended)
        )


class TransferReference(models.Model):
    """The reference a supporter uses to give by bank transfer ("to give by transfer, use
    reference …" in the supporter area): a bank statement's transfer with it is theirs.

    Random, not derived from the supporter's number, so nobody can work out another donor's
    reference and put a gift on their statement.
    """

    supporter = models.OneToOneField(
        Supporter,
        verbose_name=_("supporter"),
        related_name="transfer_reference",
        on_delete=models.CASCADE,
    )
    code = models.CharField(_("transfer reference"), max_length=16, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("transfer reference")
        verbose_name_plural = _("transfer references")

    def __str__(self) -> str:
        return self.code


class BankTransfer(models.Model):
    """An incoming transfer read from a bank statement staff imported (docs/recorded-gifts.md).

    Its `key` is the bank's own reference for it, so importing the same statement again finds
    the row and changes nothing. A matched or assigned transfer has its recorded gift; the
    rest wait for staff to assign or ignore them. The payer's account is kept masked only.
    """

    class Status(models.TextChoices):
        MATCHED = "matched", _("matched automatically")
        WAITING = "waiting", _("waiting for staff")
        ASSIGNED = "assigned", _("assigned by staff")
        IGNORED = "ignored", _("ignored by staff")

    key = models.CharField(_("bank's reference"), max_length=120, unique=True)
    booked_on = models.DateField(_("booked"))
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    remittance = models.CharField(_("description"), max_length=500, blank=True)
    payer_name = models.CharField(_("payer"), max_length=200, blank=True)
    payer_account = models.CharField(_("payer's account"), max_length=34, blank=True)
    payer_fingerprint = models.CharField(max_length=64, blank=True, db_index=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.WAITING
    )
    payment = models.OneToOneField(
        Payment,
        verbose_name=_("recorded gift"),
        related_name="bank_transfer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    statement_name = models.CharField(_("statement file"), max_length=200, blank=True)
    # Why a transfer that names a donor still waits (for staff to decide), in words, and whom
    # it names.
    note = models.CharField(_("note"), max_length=300, blank=True)
    suggested = models.ForeignKey(
        Supporter,
        verbose_name=_("names the supporter"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    imported_at = models.DateTimeField(_("imported"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("bank transfer")
        verbose_name_plural = _("bank transfers")
        ordering = ["-booked_on", "-pk"]
        indexes = [
            models.Index(
                fields=["booked_on"],
                condition=models.Q(status="waiting"),
                name="banktransfer_waiting",
            )
        ]

    def __str__(self) -> str:
        return f"{self.booked_on} € {self.amount} {self.payer_name}"

"""Where gifts came from: figures per campaign and per source, and the counters of campaign goals.

Every donation records where its form was opened (`Donation.source_link`, `source_page`,
`source_campaign`; docs/attribution.md). A gift's payments are its first payment (linked to the
donation) and, for a regular gift, the charges of its subscription (linked to that): money is
summed over both, in the database, grouped by the donation's source.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, DecimalField, F, Q, QuerySet, Sum, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.models import GIVING_PAGE, Campaign, CampaignLink
from campaign.selectors import page_titles

from .models import FREQUENCY_MONTHS, NET_AMOUNT, ZERO, Donation, Payment, PaymentRoute
from .reports import count_rows

REGULAR = list(FREQUENCY_MONTHS)
RECORDED = "\x00recorded"  # the key of the row of gifts recorded outside Mollie
SOURCE_FIELDS = ("source_campaign", "source_link", "source_page")

# A regular gift's worth per month: its amount over the months between two charges.
MONTHLY_VALUE = F("amount") / Case(
    *(When(frequency=frequency, then=months) for frequency, months in FREQUENCY_MONTHS.items()),
    default=1,
    output_field=DecimalField(max_digits=4, decimal_places=0),
)


def _day_start(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())


def _paid_payments_of(donations: QuerySet[Donation]) -> Q:
    """Paid payments belonging to `donations`: first payments, and their subscriptions' charges."""
    return Q(donation__in=donations) | Q(subscription__donation__in=donations)


# --- Campaign goals (registered with campaign.goals by the app's ready()) ---------------------


def _goal_window(first: datetime.date | None, last: datetime.date | None) -> Q:
    window = Q()
    if first:
        window &= Q(paid_at__gte=_day_start(first))
    if last:
        window &= Q(paid_at__lt=_day_start(last + datetime.timedelta(days=1)))
    return window


def goal_new_regular_donors(
    campaign: Campaign, first: datetime.date | None, last: datetime.date | None
) -> int:
    """People who started a regular gift from the campaign (its links and pages) whose first
    payment came in within the goal's days; each person once, however many gifts they started."""
    window = Q()
    if first:
        window &= Q(first_paid_at__gte=_day_start(first))
    if last:
        window &= Q(first_paid_at__lt=_day_start(last + datetime.timedelta(days=1)))
    return (
        Donation.objects.filter(window, source_campaign=campaign, frequency__in=REGULAR)
        .exclude(first_paid_at=None)
        .values("supporter")
        .distinct()
        .count()
    )


def goal_money_raised(
    campaign: Campaign, first: datetime.date | None, last: datetime.date | None
) -> int:
    """Whole euros received (refunds and chargebacks deducted) for gifts started from the
    campaign, paid in the goal's window: first payments and later charges alike."""
    donations = Donation.objects.filter(source_campaign=campaign)
    total = (
        Payment.objects.paid()
        .filter(_paid_payments_of(donations), _goal_window(first, last))
        .aggregate(total=Coalesce(Sum(NET_AMOUNT), ZERO))["total"]
    )
    return int(max(total, ZERO))


# --- Staff figures per source -----------------------------------------------------------------


@dataclass
class SourceRow:
    campaign: str
    source: str  # what a reader of the table calls it: a link's label, a page, "direct"
    kind: str  # "link", "page" or "direct"
    code: str  # the link's code or the page's key
    started: int = 0
    paid: int = 0
    new_regular: int = 0
    monthly_value: Decimal = ZERO
    raised: Decimal = ZERO

    @property
    def conversion(self) -> int | None:
        """Per cent of the gifts started that were paid; None when none was started."""
        return round(self.paid * 100 / self.started) if self.started else None


@dataclass
class SourceFigures:
    start: datetime.date
    end: datetime.date
    rows: list[SourceRow] = field(default_factory=list)

    @property
    def totals(self) -> SourceRow:
        total = SourceRow(campaign="", source=_("All sources"), kind="", code="")
        for row in self.rows:
            total.started += row.started
            total.paid += row.paid
            total.new_regular += row.new_regular
            total.monthly_value += row.monthly_value
            total.raised += row.raised
        return total


COLUMNS = (
    "campaign",
    "source",
    "kind",
    "code",
    "started",
    "paid",
    "conversion",
    "new_regular",
    "monthly_value",
    "raised",
)


def source_figures(start: datetime.date, end: datetime.date) -> SourceFigures:
    """Per campaign and source, over the days `start` through `end`: gifts started, and of those
    paid (and so the conversion); regular gifts started and paid (new regular donors) with their
    worth per month; money received in the period for gifts from that source, whenever they
    were started. Four grouped queries, whatever the number of rows; then names for the keys.
    """
    since, until = _day_start(start), _day_start(end + datetime.timedelta(days=1))
    # Gifts recorded by staff or from a bank statement were never started on a form: they
    # count in the money received only, on a row of their own.
    started = Donation.objects.filter(created_at__gte=since, created_at__lt=until).exclude(
        route=PaymentRoute.RECORDED
    )
    by_source: dict[tuple, dict] = {}

    def add(rows, *names: str) -> None:
        for row in rows:
            # A link is the source, whichever page it led to: one row per link.
            link = row["source_link"]
            key = (row["source_campaign"], link, "" if link else row["source_page"])
            if row.get("route") == PaymentRoute.RECORDED:
                key = (None, None, RECORDED)
            entry = by_source.setdefault(key, {})
            for name in names:
                entry[name] = entry.get(name, 0) + (row[name] or 0)

    paid = started.exclude(first_paid_at=None)
    add(started.values(*SOURCE_FIELDS).annotate(started=count_rows()).order_by(), "started")
    add(
        paid.values(*SOURCE_FIELDS)
        .annotate(
            paid=count_rows(),
            new_regular=count_rows(Q(frequency__in=REGULAR)),
            monthly_value=Sum(MONTHLY_VALUE, filter=Q(frequency__in=REGULAR)),
        )
        .order_by(),
        "paid",
        "new_regular",
        "monthly_value",
    )
    received = Payment.objects.paid().filter(paid_at__gte=since, paid_at__lt=until)
    # A first payment is its donation's (and, once the gift runs, its subscription's too); the
    # subscription's charges are reached through the subscription alone. Each payment once.
    whose = {
        "donation": Q(donation__isnull=False),
        "subscription__donation": Q(donation__isnull=True, subscription__isnull=False),
    }
    names = (*SOURCE_FIELDS, "route")
    for through, only in whose.items():
        paths = [f"{through}__{name}" for name in names]
        rows = received.filter(only).values_list(*paths).annotate(raised=Sum(NET_AMOUNT)).order_by()
        add(
            ({**dict(zip(names, row[:4], strict=True)), "raised": row[4]} for row in rows),
            "raised",
        )
    return SourceFigures(start=start, end=end, rows=_named_rows(by_source))


def _named_rows(by_source: dict[tuple, dict]) -> list[SourceRow]:
    campaigns = dict(
        Campaign.objects.filter(pk__in={key[0] for key in by_source}).values_list("pk", "name")
    )
    links = {
        link.pk: link for link in CampaignLink.objects.filter(pk__in={key[1] for key in by_source})
    }
    titles = page_titles(keys={key[2] for key in by_source if key[2] and key[2] != RECORDED})
    rows = []
    for (campaign_id, link_id, page), values in by_source.items():
        if page == RECORDED:
            kind, code, name = "recorded", "", _("Recorded by staff or from a bank statement")
        elif link_id in links:
            kind, code, name = "link", links[link_id].code, links[link_id].label
        elif page:
            kind, code = "page", page
            name = _("Giving page") if page == GIVING_PAGE else titles.get(page, page)
        else:
            kind, code, name = "direct", "", _("Direct (no campaign link or page)")
        rows.append(
            SourceRow(
                campaign=campaigns.get(campaign_id, ""),
                source=name,
                kind=kind,
                code=code,
                started=values.get("started", 0),
                paid=values.get("paid", 0),
                new_regular=values.get("new_regular", 0),
                monthly_value=Decimal(values.get("monthly_value", 0)).quantize(Decimal("0.01")),
                raised=Decimal(values.get("raised", 0)),
            )
        )
    rows.sort(key=lambda row: (-row.raised, -row.started, row.campaign, row.source))
    return rows


def source_chart(rows: list[SourceRow], *, width: int = 720, bar_height: int = 22) -> dict:
    """Geometry of a horizontal bar chart of the money each source raised, drawn by the
    template as SVG (no JavaScript): the source's name on the left, its bar, the amount at the
    bar's end; the scale's ends and middle on an axis below."""
    label_width, value_width = 240, 110
    room = width - label_width - value_width
    peak = max((row.raised for row in rows), default=ZERO)
    scale = peak if peak > 0 else Decimal(1)
    bars = []
    for index, row in enumerate(rows):
        length = float(max(row.raised, ZERO) / scale) * room
        bars.append(
            {
                "row": row,
                "y": index * (bar_height + 6) + 4,
                "x": label_width,
                "length": round(length, 2),
                "value_x": round(label_width + length + 6, 2),
            }
        )
    axis_y = len(rows) * (bar_height + 6) + 8
    ticks = [
        {"x": round(label_width + room * part, 2), "value": (peak * Decimal(part)).quantize(ZERO)}
        for part in (0, 0.5, 1)
    ]
    return {
        "bars": bars,
        "width": width,
        "height": axis_y + 34,
        "bar_height": bar_height,
        "label_x": label_width - 8,
        "axis": {"y": axis_y, "x1": label_width, "x2": label_width + room, "ticks": ticks},
        "peak": peak,
    }

"""Staff pages outside the model admin: the dashboard and the CSV export of payments."""

import datetime
import secrets
from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from core.actors import actor_of
from core.money import euro, parse_amount
from core.spreadsheet import csv_lines
from core.two_factor import staff_permission_required
from supporters.services import supporter_get_or_create

from . import attribution, insight, reports, selectors, services
from .bank_statement import MAX_BYTES, StatementUnreadable, statement_read
from .exceptions import GiftNotChangeable, SimilarGiftExists, StatementNotOurs
from .models import PAYMENT_COLUMNS, RecordedMethod

EXPORT_COLUMNS = [
    *PAYMENT_COLUMNS,
    "supporter_email",
    "supporter_name",
    "donation_id",
    "subscription_id",
]
MAX_EXPORT_DAYS = 3660
EARLIEST_DATE = datetime.date(2000, 1, 1)


class ExportForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Through"), widget=forms.DateInput(attrs={"type": "date"}))

    def _clean_in_range(self, name: str) -> datetime.date:
        value = self.cleaned_data[name]
        latest = timezone.localdate() + datetime.timedelta(days=366)
        if not EARLIEST_DATE <= value <= latest:
            raise forms.ValidationError(
                _("Choose a date from %(first)s to %(last)s.")
                % {"first": EARLIEST_DATE.isoformat(), "last": latest.isoformat()}
            )
        return value

    def clean_start(self) -> datetime.date:
        return self._clean_in_range("start")

    def clean_end(self) -> datetime.date:
        return self._clean_in_range("end")

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError(_("The end date is before the start date."))
            if (end - start).days > MAX_EXPORT_DAYS:
                raise forms.ValidationError(_("Export at most ten years at a time."))
        return cleaned


@never_cache
@staff_permission_required("donations.view_figures")
def dashboard(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    this_month = reports.month_totals(today)
    last_month = reports.month_totals(today.replace(day=1) - datetime.timedelta(days=1))
    series = reports.gifts_per_day(today)
    context = {
        **admin.site.each_context(request),
        "title": _("Donations dashboard"),
        "this_month": this_month,
        "last_month": last_month,
        "monthly": reports.monthly_donors(),
        "chart": reports.chart_bars(series),
        "series": series,
        "export_form": ExportForm(
            initial={"start": today.replace(day=1), "end": today},
        ),
    }
    return render(request, "donations/staff/dashboard.html", context)


class PeriodForm(ExportForm):
    """A period to look at (the same bounds as the export's)."""


@never_cache
@staff_permission_required("donations.view_figures")
def returned_debits(request: HttpRequest) -> HttpResponse:
    """The direct debits banks returned in a period, by reason, and what the site did."""
    today = timezone.localdate()
    form = PeriodForm(request.GET or {"start": today - datetime.timedelta(days=90), "end": today})
    status = 200
    figures = None
    if form.is_valid():
        figures = reports.returned_debits(form.cleaned_data["start"], form.cleaned_data["end"])
    else:
        status = 400
    context = {
        **admin.site.each_context(request),
        "title": _("Returned direct debits"),
        "period_form": form,
        "figures": figures,
    }
    return render(request, "donations/staff/returned_debits.html", context, status=status)


@never_cache
@staff_permission_required("donations.view_figures")
def regular_giving(request: HttpRequest) -> HttpResponse:
    """The regular-giving figures, each a bar chart with its table and a CSV."""
    today = timezone.localdate()
    figures = []
    for figure in insight.FIGURES.values():
        rows = insight.figure_rows(figure.key, today)
        chart = reports.chart_bars(rows, key=figure.value, height=160)
        figures.append({"figure": figure, "rows": rows, "chart": chart})
    context = {
        **admin.site.each_context(request),
        "title": _("Regular giving"),
        "figures": figures,
    }
    return render(request, "donations/staff/regular_giving.html", context)


@never_cache
@staff_permission_required("donations.view_figures")
def regular_giving_export(request: HttpRequest, key: str) -> HttpResponse:
    figure = insight.FIGURES.get(key)
    if figure is None:
        raise Http404
    rows = insight.figure_rows(key, timezone.localdate())
    values = (
        [row[column] if row[column] is not None else "" for column in figure.columns]
        for row in rows
    )
    response = StreamingHttpResponse(
        csv_lines(list(figure.columns), values), content_type="text/csv"
    )
    response["Content-Disposition"] = f'attachment; filename="{key}.csv"'
    return response


def _export_value(payment, column: str):
    """One cell of the payments CSV, by its column name: the row is built from the column
    list itself, so a column can never be written under another's heading."""
    if column == "supporter_email":
        return payment.supporter.email
    if column == "supporter_name":
        return payment.supporter.name
    value = getattr(payment, column)
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return value


def _export_rows(payments):
    for payment in payments.iterator(chunk_size=2000):
        yield [_export_value(payment, column) for column in EXPORT_COLUMNS]


@never_cache
@staff_permission_required("donations.export_payments")
def payments_export(request: HttpRequest) -> HttpResponse:
    """CSV of the payments created in a date range (`?start=YYYY-MM-DD&end=YYYY-MM-DD`)."""
    today = timezone.localdate()
    if not request.GET:  # the page itself: the form, filled in with this month
        form = ExportForm(initial={"start": today.replace(day=1), "end": today})
        context = {**admin.site.each_context(request), "title": _("Export payments")}
        return render(request, "donations/staff/export.html", {**context, "export_form": form})
    form = ExportForm(request.GET)
    if not form.is_valid():
        context = {
            **admin.site.each_context(request),
            "title": _("Export payments"),
            "export_form": form,
        }
        return render(request, "donations/staff/export.html", context, status=400)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    payments = reports.payments_for_export(start, end)
    lines = csv_lines(EXPORT_COLUMNS, _export_rows(payments))
    response = StreamingHttpResponse(lines, content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="payments-{start}-{end}.csv"'
    return response


def _period(request: HttpRequest) -> PeriodForm:
    today = timezone.localdate()
    return PeriodForm(request.GET or {"start": today - datetime.timedelta(days=89), "end": today})


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


@never_cache
@staff_permission_required("donations.view_figures")
def sources(request: HttpRequest) -> HttpResponse:
    """Per campaign and source (campaign link, page, direct): gifts started and paid, new
    regular donors and their worth a month, money received; a chart, a table and a CSV."""
    form = _period(request)
    figures = None
    if form.is_valid():
        figures = attribution.source_figures(form.cleaned_data["start"], form.cleaned_data["end"])
    context = {
        **admin.site.each_context(request),
        "title": _("Where gifts came from"),
        "period_form": form,
        "figures": figures,
        "chart": attribution.source_chart(figures.rows) if figures else None,
        "query": request.GET.urlencode(),
    }
    status = 200 if figures is not None else 400
    return render(request, "donations/staff/sources.html", context, status=status)


@never_cache
@staff_permission_required("donations.view_figures")
def sources_export(request: HttpRequest) -> HttpResponse:
    form = _period(request)
    if not form.is_valid():
        return sources(request)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    figures = attribution.source_figures(start, end)
    values = (
        [_cell(getattr(row, column)) for column in attribution.COLUMNS] for row in figures.rows
    )
    response = StreamingHttpResponse(
        csv_lines(list(attribution.COLUMNS), values), content_type="text/csv"
    )
    response["Content-Disposition"] = f'attachment; filename="sources-{start}-{end}.csv"'
    return response


# --- Gifts outside Mollie: recorded by hand, or from a bank statement ------------------------

RECORD_MAX_AMOUNT = Decimal("1000000")


class WhoseForm(forms.Form):
    """Whose gift: a supporter's address (a new supporter is made for a new address), and
    optionally the periodic gift agreement it pays."""

    email = forms.EmailField(label=_("Supporter's email address"), max_length=254)
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        required=False,
        help_text=_("Only used for a new supporter."),
    )
    agreement = forms.CharField(
        label=_("Periodic gift agreement"),
        max_length=20,
        required=False,
        help_text=_("Its transaction number (PG-…), when the gift pays one."),
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        number = cleaned.get("agreement", "").strip().upper()
        cleaned["agreement_row"] = None
        if number and cleaned.get("email"):
            agreement = selectors.agreement_by_number(number=number)
            if agreement is None or agreement.supporter.email.lower() != cleaned["email"].lower():
                message = _("This supporter has no periodic gift agreement with that number.")
                self.add_error("agreement", message)
            else:
                cleaned["agreement_row"] = agreement
        return cleaned

    def supporter(self):
        supporter, _created = supporter_get_or_create(
            email=self.cleaned_data["email"],
            name=self.cleaned_data.get("name", ""),
            language=settings.LANGUAGE_CODE,
        )
        return supporter


class RecordGiftForm(WhoseForm):
    paid_on = forms.DateField(
        label=_("Date received"), widget=forms.DateInput(attrs={"type": "date"})
    )
    amount = forms.CharField(
        label=_("Amount in euros"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    method = forms.ChoiceField(label=_("How it was given"), choices=RecordedMethod.choices)
    reference = forms.CharField(label=_("Reference or note"), max_length=140, required=False)
    # One per form shown: the same form sent twice records one gift.
    key = forms.CharField(widget=forms.HiddenInput, max_length=40, required=False)
    anyway = forms.BooleanField(
        label=_("Record it even if a gift of this amount was recorded around that day"),
        required=False,
        help_text=_("Only when it is really another gift, not the same money twice."),
    )

    field_order = ["email", "name", "paid_on", "amount", "method", "reference", "agreement"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["key"] = secrets.token_urlsafe(24)

    def clean_paid_on(self) -> datetime.date:
        value = self.cleaned_data["paid_on"]
        if not EARLIEST_DATE <= value <= timezone.localdate():
            raise forms.ValidationError(
                _("Choose a date from %(first)s to today.") % {"first": EARLIEST_DATE.isoformat()}
            )
        return value

    def clean_amount(self) -> Decimal:
        return parse_amount(
            self.cleaned_data["amount"], minimum=Decimal("0.01"), maximum=RECORD_MAX_AMOUNT
        )


def _staff_page(request, template: str, title, status: int = 200, **context) -> HttpResponse:
    context = {**admin.site.each_context(request), "title": title, **context}
    return render(request, template, context, status=status)


@never_cache
@staff_permission_required("donations.record_gift")
def record_gift(request: HttpRequest) -> HttpResponse:
    """Staff record a gift that did not come through Mollie (transfer, cash, in kind)."""
    form = RecordGiftForm(request.POST or None, initial={"paid_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            payment = _gift_record(request, form)
        except SimilarGiftExists as error:
            form.add_error("anyway", str(error))
            return _staff_page(
                request, "donations/staff/record_gift.html", _("Record a gift"), 400, form=form
            )
        except GiftNotChangeable as error:
            form.add_error("agreement", str(error))
            return _staff_page(
                request, "donations/staff/record_gift.html", _("Record a gift"), 400, form=form
            )
        messages.success(
            request,
            _("Recorded: %(amount)s from %(email)s on %(day)s.")
            % {
                "amount": euro(payment.amount),
                "email": data["email"],
                "day": date_format(data["paid_on"], "SHORT_DATE_FORMAT"),
            },
        )
        return redirect("staff:record_gift")
    status = 400 if request.method == "POST" else 200
    return _staff_page(
        request, "donations/staff/record_gift.html", _("Record a gift"), status, form=form
    )


def _gift_record(request: HttpRequest, form: RecordGiftForm):
    data = form.cleaned_data
    return services.gift_record(
        supporter=form.supporter(),
        paid_on=data["paid_on"],
        amount=data["amount"],
        method=data["method"],
        reference=data["reference"],
        actor=actor_of(request),
        agreement=data["agreement_row"],
        key=data["key"] or None,
        similar_is_fine=data["anyway"],
    )


class StatementForm(forms.Form):
    statement = forms.FileField(
        label=_("Bank statement (CAMT.053 or MT940)"),
        help_text=_("Download it from online banking; importing the same file twice is harmless."),
    )


@never_cache
@staff_permission_required("donations.import_statement")
def bank_statement(request: HttpRequest) -> HttpResponse:
    """Import a bank statement; the transfers that wait for staff, to assign or ignore."""
    form = StatementForm(request.POST or None, request.FILES or None)
    report, status = None, 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["statement"]
            try:
                # One byte more than the reader takes: a larger file is refused, not read whole.
                data = upload.read(MAX_BYTES + 1)
                statement = statement_read(data, filename=upload.name)
                report = services.statement_import(
                    statement=statement, filename=upload.name, actor=actor_of(request)
                )
                status = 200
            except (StatementUnreadable, StatementNotOurs) as error:
                form.add_error("statement", str(error))
    return _staff_page(
        request,
        "donations/staff/bank_statement.html",
        _("Bank statements and transfers"),
        status,
        form=form,
        report=report,
        waiting=selectors.transfers_waiting(),
        whose=WhoseForm(),
    )


@never_cache
@staff_permission_required("donations.import_statement")
def bank_transfer_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Assign a waiting transfer to a supporter (it becomes their gift), or ignore it."""
    if request.method != "POST":
        return redirect("staff:bank_statement")
    actor = actor_of(request)
    try:
        if "ignore" in request.POST:
            services.transfer_ignore(transfer_id=pk, actor=actor)
            messages.success(request, _("The transfer is ignored: it is no gift."))
        else:
            whose = WhoseForm(request.POST)
            if not whose.is_valid():
                errors = " ".join(e for field in whose.errors.values() for e in field)
                messages.error(request, errors)
                return redirect(reverse("staff:bank_statement") + f"#transfer-{pk}")
            services.transfer_assign(
                transfer_id=pk,
                supporter=whose.supporter(),
                agreement=whose.cleaned_data["agreement_row"],
                actor=actor,
            )
            messages.success(request, _("The transfer is recorded as a gift."))
    except GiftNotChangeable as error:
        messages.error(request, str(error))
    return redirect("staff:bank_statement")

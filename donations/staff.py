"""Staff pages outside the model admin: the dashboard and the CSV export of payments."""

import datetime
from decimal import Decimal

from django import forms
from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from core.spreadsheet import csv_lines
from core.two_factor import staff_permission_required

from . import attribution, insight, reports
from .models import PAYMENT_COLUMNS

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

"""Donation pages. Until payments are wired in, the donate page says it is coming soon."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from core.cache import public_page


@require_safe
@public_page
def donate(request: HttpRequest) -> HttpResponse:
    frequency = "oneoff" if request.GET.get("frequency") == "oneoff" else "monthly"
    amount = request.GET.get("amount", "")
    if amount not in {str(a) for a in settings.DONATION_PRESET_AMOUNTS}:
        amount = ""
    return render(request, "donations/coming_soon.html", {"frequency": frequency, "amount": amount})

"""The supporter area. Until logging in with a code is built, a page that says so."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from core.cache import public_page


@require_safe
@public_page
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "supporters/coming_soon.html")

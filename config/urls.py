"""URL wiring: language-prefixed pages, plus the few paths that must stay outside a language."""

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve as static_serve

from campaign import views as campaign_views
from core import two_factor
from core import views as core_views
from core.staff_login import ThrottledAdminLoginForm
from donations import views as donation_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path(".well-known/security.txt", core_views.security_txt, name="security_txt"),
    path("robots.txt", core_views.robots_txt, name="robots_txt"),
    # Campaign links for newsletters and posters: short, and the same in every language (the
    # link itself says which language it leads to).
    path("d/<str:code>/", campaign_views.campaign_link, name="campaign_link"),
    # Outside the language prefix, and with or without the slash: Mollie POSTs here and a
    # redirect would turn the POST into a GET without its body. The token is the site's own
    # (donations.services.webhook_path); the address without one is where payments made
    # before it was added may still call.
    re_path(
        r"^mollie/webhook/(?P<token>[A-Za-z0-9]{16,64})/?$",
        donation_views.mollie_webhook,
        name="mollie_webhook",
    ),
    re_path(r"^mollie/webhook/?$", donation_views.mollie_webhook_without_token),
    path("admin/two-step/", two_factor.two_factor, name="staff_two_factor"),
    path("admin/two-step/setup/", two_factor.two_factor_setup, name="staff_two_factor_setup"),
    path("admin/two-step/link/", two_factor.two_factor_link_send, name="staff_two_factor_link"),
    path(
        "admin/two-step/setup/<str:token>/",
        two_factor.two_factor_enrol,
        name="staff_two_factor_enrol",
    ),
    path("admin/language/", core_views.staff_language, name="staff_language"),
    path("admin/", admin.site.urls),
    path("staff/", include("donations.staff_urls")),
]

urlpatterns += i18n_patterns(
    path("", include("donations.urls")),
    path("supporters/", include("supporter_area.urls")),
    path("", include("campaign.urls")),
    prefix_default_language=True,
)

if settings.BENCHMARK_REFERENCE_VIEW:  # `make bench` only: the yardstick for R4
    urlpatterns.append(path("mollie/reference/", donation_views.webhook_reference))

if settings.SERVE_MEDIA:
    urlpatterns += [
        re_path(
            rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.*)$",
            static_serve,
            {"document_root": settings.MEDIA_ROOT},
        )
    ]

admin.site.login_form = ThrottledAdminLoginForm
admin.site.site_header = settings.SITE_NAME
admin.site.site_title = settings.SITE_NAME

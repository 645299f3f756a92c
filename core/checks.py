"""Deployment checks (`manage.py check --deploy`) for settings under which a defence fails."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from .theme import site_logo

PROCESS_LOCAL_CACHES = ("LocMemCache", "DummyCache", "FileBasedCache")


@register(Tags.security, deploy=True)
def rate_limit_store_check(app_configs, **kwargs) -> list:
    """Rate limits must be counted in a store that all workers share and pages cannot evict."""
    store = settings.RATELIMIT_STORE
    if store == "database":
        return []
    if not store.startswith("cache:") or store.removeprefix("cache:") not in settings.CACHES:
        return [
            Warning(
                f"RATELIMIT_STORE={store!r} is neither 'database' nor 'cache:<alias>' of CACHES.",
                hint="Leave RATELIMIT_STORE unset to count in the database.",
                id="core.W001",
            )
        ]
    alias = store.removeprefix("cache:")
    backend = settings.CACHES[alias]["BACKEND"].rsplit(".", 1)[-1]
    problems = []
    if backend in PROCESS_LOCAL_CACHES:
        problems.append(
            Warning(
                f"Rate limits are counted in a {backend}, which each worker keeps on its own: "
                "with several workers or machines a client gets several times the limit.",
                hint="Leave RATELIMIT_STORE unset (database) or point it at Redis.",
                id="core.W002",
            )
        )
    cache = settings.CACHES[alias]
    default = settings.CACHES["default"]
    if alias == "default" or (
        cache.get("LOCATION") == default.get("LOCATION")
        and cache.get("KEY_PREFIX", "") == default.get("KEY_PREFIX", "")
    ):
        problems.append(
            Warning(
                "Rate limits share their store with the page cache: page traffic can push the "
                "counts out and reset a limit.",
                hint="Give the rate limits their own cache alias, or leave RATELIMIT_STORE unset.",
                id="core.W003",
            )
        )
    return problems


@register(Tags.security, deploy=True)
def public_base_url_check(app_configs, **kwargs) -> list:
    """Absolute URLs come from PUBLIC_BASE_URL only, so production must set it."""
    if settings.PUBLIC_BASE_URL.startswith("https://"):
        return []
    return [
        Error(
            "PUBLIC_BASE_URL is not an https:// address. Links in emails, share links and the "
            "address Mollie returns donors to are built on it (never on the Host header).",
            hint="Set PUBLIC_BASE_URL=https://your-site.example (no trailing slash).",
            id="core.E001",
        )
    ]


@register(deploy=True)
def organisation_details_check(app_configs, **kwargs) -> list:
    """The site shows no made-up details, so production must give the real ones."""
    organisation = settings.ORGANISATION
    problems = [
        Warning(
            f"{variable} is not set: the footer, the contact page, emails and yearly statements "
            f"show no {what}.",
            hint=f"Set {variable} in the environment (see .env.example).",
            id=f"core.W0{number}",
        )
        for number, variable, key, what in (
            (10, "ORG_ADDRESS", "address", "postal address"),
            (11, "ORG_EMAIL", "email", "contact address (and security.txt has no contact)"),
        )
        if not organisation[key]
    ]
    if organisation["has_anbi"] and not organisation["rsin"]:
        problems.append(
            Warning(
                "ORG_HAS_ANBI is on but ORG_RSIN is empty: an ANBI must publish its RSIN, and "
                "periodic gift agreements need it.",
                hint="Set ORG_RSIN, or ORG_HAS_ANBI=0.",
                id="core.W012",
            )
        )
    if settings.ORG_LOGO and site_logo() is None:
        problems.append(
            Warning(
                f"ORG_LOGO={settings.ORG_LOGO!r} is not a readable SVG among the static files: "
                "the header shows the site's name instead.",
                hint="Point ORG_LOGO at an .svg file under static/ (with a viewBox).",
                id="core.W013",
            )
        )
    return problems


@register(Tags.security, deploy=True)
def benchmark_view_check(app_configs, **kwargs) -> list:
    """The benchmark's reference view lets anyone make the site call Mollie and write a row."""
    if not settings.BENCHMARK_REFERENCE_VIEW:
        return []
    return [
        Warning(
            "BENCHMARK_REFERENCE_VIEW is on: /mollie/reference/ fetches any payment from Mollie "
            "and writes a row for anyone who posts to it.",
            hint="It is for `make bench` only: leave BENCHMARK_REFERENCE_VIEW unset.",
            id="core.W014",
        )
    ]

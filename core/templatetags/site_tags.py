"""Template helpers for the site layout."""

from django import template
from django.conf import settings
from django.core.files.storage import default_storage
from django.urls import translate_url
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, get_language_info

from ..images import FALLBACK, mime_type
from ..money import euro, euro_in_words, euro_short

register = template.Library()


@register.simple_tag(takes_context=True)
def language_links(context) -> list[dict]:
    """Links to the current page in every language, for the language switch.

    A view may pass `alternates` ({language code: url}) when its URLs differ per language (an
    article with a translated slug); otherwise the URL is translated by its route name.
    """
    request = context.get("request")
    alternates = context.get("alternates") or {}
    current = context.get("LANGUAGE_CODE") or settings.LANGUAGE_CODE
    links = []
    for code, _name in settings.LANGUAGES:
        name = get_language_info(code)["name_local"]
        if code in alternates:
            url = alternates[code]
        elif request is not None and request.resolver_match is not None:
            url = translate_url(request.get_full_path(), code)
        else:  # a page that does not exist (404) has no translation: the home page does
            url = f"/{code}/"
        links.append(
            {
                "code": code,
                "name": name,
                "url": url,
                "absolute_url": settings.PUBLIC_BASE_URL + url,
                "current": code == current,
            }
        )
    return links


@register.simple_tag(takes_context=True)
def public_url(context, path: str | None = None) -> str:
    """The absolute address of `path` (the current page's path when omitted), on
    PUBLIC_BASE_URL: never on the Host header a request brought."""
    if path is None:
        request = context.get("request")
        path = request.path if request is not None else "/"
    return settings.PUBLIC_BASE_URL + path


@register.simple_tag
def field_widget(field):
    """Render a form field's widget tied to its help text and errors for assistive technology."""
    described_by = []
    if field.help_text:
        described_by.append(f"{field.auto_id}_help")
    if field.errors:
        described_by.append(f"{field.auto_id}_error")
    attrs = {}
    if described_by:
        attrs["aria-describedby"] = " ".join(described_by)
    if field.errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)


register.filter("euro", euro)
register.filter("euro_short", euro_short)


@register.filter
def euro_words(amount) -> str:
    """The amount in words in the page's language (for agreements)."""
    return euro_in_words(amount, get_language() or "nl")


@register.filter
def get_item(mapping: dict, key: str):
    """`mapping[key]` in a template, for tables whose columns are data."""
    return mapping.get(key)


@register.filter
def without_final_stop(text: str) -> str:
    """`text` without a full stop at its end, for quoting it inside a sentence of our own."""
    return str(text).rstrip().removesuffix(".")


@register.simple_tag
def responsive_image(
    variants: dict, alt: str, sizes: str, css_class: str = "", *, first_screen: bool = False
) -> str:
    """A <picture> of an image's sizes and formats (core.images), with its width and height so
    nothing shifts. An image on the first screen is fetched early; any other waits until the
    reader scrolls near it."""
    files = variants.get("files") if variants else None
    if not files:
        return ""

    def srcset(key: str) -> str:
        return ", ".join(f"{default_storage.url(name)} {width}w" for width, name in files[key])

    sources = format_html_join(
        "",
        '<source type="{}" srcset="{}" sizes="{}">',
        ((mime_type(key), srcset(key), sizes) for key in files if key != FALLBACK),
    )
    fallback = files[FALLBACK]
    middle = fallback[min(1, len(fallback) - 1)][1]
    loading = 'fetchpriority="high"' if first_screen else 'loading="lazy"'
    return format_html(
        '<picture>{}<img{} src="{}" srcset="{}" sizes="{}" width="{}" height="{}" alt="{}" '
        'decoding="async" {}></picture>',
        sources,
        format_html(' class="{}"', css_class) if css_class else "",
        default_storage.url(middle),
        srcset(FALLBACK),
        sizes,
        variants["width"],
        variants["height"],
        alt,
        mark_safe(loading),  # noqa: S308 (one of two constants)
    )

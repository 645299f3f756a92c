"""The organisation's colours (settings.THEME) as CSS custom properties, inlined in every page.

Three colours do not deserve a second render-blocking stylesheet: the rule is written into the
page's <head>, and the Content-Security-Policy allows exactly that rule by its hash (no inline
style is allowed otherwise).
"""

import base64
import hashlib
import re
from functools import lru_cache

from django.conf import settings
from django.utils.safestring import SafeString, mark_safe

# Names and values that are safe inside a CSS declaration: `brand`, `#0b5d4b`.
COLOUR_RE = re.compile(r"^(#[0-9a-fA-F]{3,8}|[a-z][a-z-]{0,30})$")


@lru_cache(maxsize=8)
def _css(items: tuple[tuple[str, str], ...]) -> tuple[str, str]:
    colours = [(n, v) for n, v in items if COLOUR_RE.match(n) and COLOUR_RE.match(v)]
    css = ":root{" + "".join(f"--{name}:{value};" for name, value in colours) + "}"
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    return css, f"'sha256-{digest}'"


def theme_css() -> SafeString:
    """The rule for the current THEME; anything that is not a plain name or colour is left
    out, so it is safe to write into a <style> element."""
    return mark_safe(_css(tuple(settings.THEME.items()))[0])  # noqa: S308 (checked above)


def theme_css_source() -> str:
    """The CSP source that allows exactly that rule."""
    return _css(tuple(settings.THEME.items()))[1]


class ThemeStyleMiddleware:
    """Add the theme rule's hash to the page's style-src (placed after CSPMiddleware, so it
    runs first on the way out)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            response._csp_update = {"style-src": [theme_css_source()]}
        return response

"""The organisation's colours (settings.THEME) as CSS custom properties, inlined in every page.

Three colours do not deserve a second render-blocking stylesheet: the rule is written into the
page's <head>, and the Content-Security-Policy allows exactly that rule by its hash (no inline
style is allowed otherwise).
"""

import base64
import hashlib
import re
from functools import lru_cache
from xml.etree import ElementTree

from django.conf import settings
from django.contrib.staticfiles import finders
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


# The header draws the logo this many CSS pixels high; the width follows from its viewBox.
LOGO_HEIGHT = 40
NUMBER_RE = re.compile(r"[-+]?\d*\.?\d+")


@lru_cache(maxsize=4)
def _logo(path: str) -> dict | None:
    found = finders.find(path) if path.endswith(".svg") else None
    if not found:
        return None
    try:
        root = ElementTree.parse(found).getroot()  # noqa: S314 (the operator's own static file)
    except ElementTree.ParseError:
        return None
    box = [float(n) for n in NUMBER_RE.findall(root.get("viewBox", ""))]
    if len(box) == 4 and box[2] > 0 and box[3] > 0:
        ratio = box[2] / box[3]
    else:
        sizes = [NUMBER_RE.match(root.get(a, "")) for a in ("width", "height")]
        if not all(sizes) or float(sizes[1].group()) <= 0:
            return None
        ratio = float(sizes[0].group()) / float(sizes[1].group())
    return {"path": path, "width": round(LOGO_HEIGHT * ratio), "height": LOGO_HEIGHT}


def site_logo() -> dict | None:
    """The configured SVG logo with the size it is drawn at (so nothing shifts while it loads),
    or None when there is none or it cannot be read: the header then shows the site's name."""
    return _logo(settings.ORG_LOGO) if settings.ORG_LOGO else None

"""Markdown written by staff, turned into HTML that is safe to show to readers.

Rendering happens once, when content is saved; pages only output the stored HTML. The sanitiser
keeps a small set of tags, only http(s)/mailto links, and images only from our own host, so a
body can neither run script nor make a reader's browser contact another host.
"""

import markdown as md
import nh3

ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "em", "h2", "h3", "h4", "hr", "img", "li", "ol",
    "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "td": {"align"},
    "th": {"align"},
}


def _keep_attribute(element: str, attribute: str, value: str) -> str | None:
    # Images must come from our own site: a remote image would leak every reader's visit.
    if element == "img" and attribute == "src":
        return value if value.startswith("/") and not value.startswith("//") else None
    return value


def render_markdown(text: str) -> str:
    """Return sanitised HTML for Markdown `text` (never raises on odd input)."""
    html = md.markdown(text or "", extensions=["extra", "sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        attribute_filter=_keep_attribute,
    )

"""`make audit`: Lighthouse (mobile and desktop) and pa11y (htmlcs and axe) on every kind of page.

The site runs as in production (gunicorn, DEBUG off, demo content, the Mollie sandbox in its own
process); Debian's Chromium does the browsing. Lighthouse and pa11y are npm packages that
`make audit` installs into `.audit/` (the browser download of puppeteer is skipped). Prints one
table and writes the raw results to bench/results/audit-<time>.json. Not part of `make test`.
"""

import json
import os
import shutil
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

from . import common

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / ".audit" / "node_modules" / ".bin"
CHROMIUM = os.environ.get("CHROME_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")


def _pages(site_url: str) -> tuple[list[tuple[str, str]], str]:
    """(label, path) of every kind of page, and the session cookie of a logged-in supporter."""
    from campaign.services import demo_content_load
    from donations.models import Donation, Payment

    from .site import supporter_cookie

    demo_content_load()
    session = supporter_cookie("audit@example.org", 12)
    supporter = Payment.objects.get(mollie_id="tr_audit0").supporter

    def donation(status: str) -> str:
        gift = Donation.objects.create(
            supporter=supporter, amount=Decimal("10.00"), frequency="oneoff", language="en"
        )
        Payment.objects.create(
            mollie_id=f"tr_audit{status}",
            donation=gift,
            supporter=supporter,
            status=status,
            sequence_type="oneoff",
            amount=gift.amount,
            paid_at=gift.created_at if status == "paid" else None,
        )
        return gift.public_token

    paid, failed = donation("paid"), donation("failed")
    pages = [
        ("home nl", "/nl/"),
        ("home en", "/en/"),
        ("guide", "/en/guide/"),
        ("article", "/en/articles/your-privacy-rights/"),
        ("search", "/en/search/?q=privacy"),
        ("giving", "/en/giving/"),
        ("donate", "/en/donate/"),
        ("success", f"/en/donate/return/{paid}/"),
        ("failure", f"/en/donate/return/{failed}/"),
        ("login", "/en/supporters/login/"),
        ("supporter area", "/en/supporters/"),
        ("404", "/en/no-such-page/"),
    ]
    return pages, session


def lighthouse(url: str, *, desktop: bool, cookie: str | None, tries: int = 3) -> dict:
    """Lighthouse's scores; a run that fails to record its trace (NO_NAVSTART and the like,
    "Please run Lighthouse again") is repeated up to `tries` times."""
    found: dict = {}
    for _attempt in range(tries):
        found = _lighthouse_once(url, desktop=desktop, cookie=cookie)
        if "error" not in found or "run Lighthouse again" not in found["error"]:
            break
    return found


def _lighthouse_once(url: str, *, desktop: bool, cookie: str | None) -> dict:
    command = [
        str(TOOLS / "lighthouse"),
        url,
        "--quiet",
        "--output=json",
        "--output-path=stdout",
        f"--only-categories={','.join(CATEGORIES)}",
        "--ignore-status-code",  # the 404 page is audited too
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
    ]
    if desktop:
        command.append("--preset=desktop")
    if cookie:
        command.append(f"--extra-headers={json.dumps({'Cookie': cookie})}")
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "CHROME_PATH": CHROMIUM},
    )
    if result.returncode != 0:
        return {"error": result.stderr[-400:]}
    report = json.loads(result.stdout)
    scores = {name: round(report["categories"][name]["score"] * 100) for name in CATEGORIES}
    failing = [
        audit_id
        for audit_id, audit in report["audits"].items()
        if audit.get("score") is not None
        and audit["score"] < 1
        and audit.get("scoreDisplayMode") in ("binary", "numeric")
        and audit_id not in ("screenshot-thumbnails", "final-screenshot")
    ]
    return {**scores, "failing": failing[:12]}


def pa11y(url: str, *, cookie: str | None) -> dict:
    config = {
        "chromeLaunchConfig": {
            "executablePath": CHROMIUM,
            "args": ["--no-sandbox", "--disable-gpu", "--headless=new"],
        },
        "headers": {"Cookie": cookie} if cookie else {},
        "runners": ["htmlcs", "axe"],
        "includeWarnings": True,
        "standard": "WCAG2AA",
    }
    path = ROOT / ".audit" / "pa11y.json"
    path.write_text(json.dumps(config))
    result = subprocess.run(
        [str(TOOLS / "pa11y"), "--config", str(path), "--reporter", "json", url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    try:
        issues = json.loads(result.stdout or "[]")
    except ValueError:
        return {"error": (result.stderr or result.stdout)[-400:]}
    errors = [i for i in issues if i.get("type") == "error"]
    warnings = [i for i in issues if i.get("type") == "warning"]
    return {
        "errors": len(errors),
        "warnings": len(warnings),
        "first": [
            f"{i.get('code')}: {i.get('message', '')[:120]}" for i in (errors + warnings)[:5]
        ],
    }


def main() -> int:
    if not (TOOLS / "lighthouse").exists() or not (TOOLS / "pa11y").exists():
        print("Lighthouse and pa11y are missing: run `make audit` (it installs them).")
        return 1
    common.setup_django()
    from . import site

    sandbox_url, sandbox = common.start_sandbox_process()
    site_url, server = site.start_gunicorn(sandbox_url)
    results = {}
    try:
        pages, session = _pages(site_url)
        cookie = f"sessionid={session}"
        wanted = set(sys.argv[1:])  # `make audit PAGES="success 404"`: only those pages
        for label, path in pages:
            if wanted and label not in wanted and label.replace(" ", "-") not in wanted:
                continue
            wants_cookie = cookie if label == "supporter area" else None
            url = site_url + path
            results[label] = {
                "url": path,
                "mobile": lighthouse(url, desktop=False, cookie=wants_cookie),
                "desktop": lighthouse(url, desktop=True, cookie=wants_cookie),
                "pa11y": pa11y(url, cookie=wants_cookie),
            }
            print(f"  audited {label}", file=sys.stderr)
    finally:
        server.terminate()
        sandbox.terminate()

    header = ("page", "mobile P/A/BP/SEO", "desktop P/A/BP/SEO", "pa11y errors/warnings")
    rows = [header]
    for label, found in results.items():
        cells = [label]
        for kind in ("mobile", "desktop"):
            scores = found[kind]
            cells.append(
                "error" if "error" in scores else "/".join(str(scores[c]) for c in CATEGORIES)
            )
        checked = found["pa11y"]
        cells.append(
            "error" if "error" in checked else f"{checked['errors']}/{checked['warnings']}"
        )
        rows.append(tuple(cells))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    path = out / f"audit-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(results, indent=2))
    print(f"\nWritten to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

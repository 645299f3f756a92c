"""HTML pages: the overview at `/`, the test checkout and the change-state page.

Self-contained: one small stylesheet served by the sandbox itself, no scripts, no external
assets. Forms work without JavaScript. The markup lives in `templates/` (pages at the top,
pieces in `partials/`) as `string.Template` text with `$name` placeholders; `render` fills
them in and passes every value through `html.escape`, except `Markup`: the output of `render`
and `join`, which is inserted as it is. Repeated parts (rows, cells, radio buttons) are a
partial rendered once per item and joined.
"""

from __future__ import annotations

import datetime as dt
import functools
import string
from collections.abc import Iterable
from html import escape
from importlib import resources

from .render import payment_totals

CSS = """
body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:72rem;padding:1rem;color:#1a1a1a}
table{border-collapse:collapse;width:100%;margin-bottom:2rem}
th,td{border:1px solid #999;padding:.25rem .5rem;text-align:left;vertical-align:top}
caption{text-align:left;font-weight:bold;padding:.25rem 0}
fieldset{margin-bottom:1rem}
button{font:inherit;padding:.25rem .75rem}
:focus-visible{outline:3px solid #0645ad;outline-offset:2px}
.note{background:#fff4ce;border:1px solid #8a6d00;padding:.5rem}
""".strip()

_OUTCOME_LABELS = {
    "paid": "Paid: the payment succeeds",
    "failed": "Failed: the payment is refused",
    "canceled": "Canceled: the person cancels",
    "expired": "Expired: the person walks away",
    "open": "Open: leave the payment open and go back",
}
_METHODS = ("ideal", "creditcard", "bancontact", "paypal", "banktransfer")
_METHOD_LABELS = {
    "ideal": "iDEAL",
    "creditcard": "Card (creditcard)",
    "bancontact": "Bancontact",
    "paypal": "PayPal",
    "banktransfer": "Bank transfer",
}


class Markup(str):
    """HTML made by `render` or `join`: inserted into templates as it is, never escaped again."""

    __slots__ = ()


def _escaped(value) -> str:
    """The one place values become HTML: `Markup` as it is, anything else escaped (None: "")."""
    if isinstance(value, Markup):
        return value
    return escape("" if value is None else str(value))


@functools.cache
def _template(name: str) -> string.Template:
    """`templates/<name>`, read once; the newline that ends the file is not part of it."""
    path = resources.files(__package__).joinpath("templates", *name.split("/"))
    return string.Template(path.read_text(encoding="utf-8").removesuffix("\n"))


def render(name: str, /, **values) -> Markup:
    """Fill in a template; every placeholder must be given (a missing one is a `KeyError`)."""
    return Markup(_template(name).substitute({k: _escaped(v) for k, v in values.items()}))


def join(parts: Iterable, sep: str = "") -> Markup:
    """Parts side by side (each escaped unless it is `Markup`), `sep` between them."""
    return Markup(sep.join(_escaped(part) for part in parts))


def _page(name: str, title: str, **values) -> str:
    return render("base.html", title=title, body=render(name, title=title, **values))


def _radios(name: str, legend: str, options, checked: str) -> Markup:
    radios = (
        render(
            "partials/radio.html",
            name=name,
            ident=f"{name}-{value}",
            value=value,
            label=label,
            checked=Markup(" checked" if value == checked else ""),
        )
        for value, label in options
    )
    return render("partials/radios.html", legend=legend, options=join(radios, "\n"))


def _summary(payment: dict) -> Markup:
    return render(
        "partials/summary.html",
        id=payment["id"],
        description=payment["description"],
        currency=payment["amount"]["currency"],
        value=payment["amount"]["value"],
        status=payment["status"],
    )


def checkout_page(payment: dict) -> str:
    """The test checkout: pick an outcome and a method, submit, get redirected back."""
    if payment["status"] != "open":
        content = render(
            "partials/checkout_closed.html",
            status=payment["status"],
            redirect_url=payment.get("redirectUrl"),
        )
    else:
        method = payment["method"]
        chosen = method[0] if isinstance(method, list) else (method or "ideal")
        methods = method if isinstance(method, list) else ([method] if method else _METHODS)
        content = render(
            "partials/checkout_form.html",
            id=payment["id"],
            outcomes=_radios("status", "Outcome", _OUTCOME_LABELS.items(), "paid"),
            methods=_radios(
                "method", "Payment method", [(m, _METHOD_LABELS.get(m, m)) for m in methods], chosen
            ),
        )
    return _page("checkout.html", "Test checkout", summary=_summary(payment), content=content)


def change_state_page(payment: dict) -> str:
    """Test-mode page for recurring and paid payments: set a final status or add a chargeback."""
    form = Markup()
    if payment["status"] in ("open", "pending", "authorized"):
        options = [(s, _OUTCOME_LABELS[s]) for s in ("paid", "failed", "canceled", "expired")]
        form = render(
            "partials/status_form.html",
            id=payment["id"],
            statuses=_radios("status", "New status", options, "paid"),
        )
    elif payment["status"] == "paid":
        form = render("partials/chargeback_form.html", id=payment["id"])
    return _page("change_state.html", "Change payment state", summary=_summary(payment), form=form)


def _table(caption: str, headers, rows) -> Markup:
    """A table of `rows`; a row's values become cells, except `Markup`, already a cell."""
    if not rows:
        return render("partials/table_empty.html", what=caption.lower())
    lines = (
        render(
            "partials/tr.html",
            cells=join(
                v if isinstance(v, Markup) else render("partials/td.html", value=v) for v in row
            ),
        )
        for row in rows
    )
    return render(
        "partials/table.html",
        caption=caption,
        headers=join(render("partials/th.html", text=h) for h in headers),
        rows=join(lines, "\n"),
    )


def overview_page(store, schedule) -> str:
    """Everything in the sandbox, newest first, with buttons to run subscriptions."""
    payments = []
    for p in reversed(list(store.payments.values())):
        refunded, charged_back, _ = payment_totals(store, p)
        target = "checkout"
        if p["sequenceType"] == "recurring" or p["status"] == "paid":
            target = "change-state"
        link = render("partials/payment_link.html", target=target, id=p["id"])
        payments.append(
            [
                render("partials/td_anchor.html", id=p["id"], content=link),
                p["createdAt"],
                p["amount"]["value"],
                p["status"],
                p["sequenceType"],
                p["description"],
                p.get("customerId"),
                p.get("subscriptionId"),
                f"{refunded:.2f}",
                f"{charged_back:.2f}",
            ]
        )
    customers = [
        [
            render("partials/td_anchor.html", id=c["id"], content=c["id"]),
            c.get("name"),
            c.get("email"),
            c.get("createdAt"),
            ", ".join(
                f"{m['id']} ({m['method']}, {m['status']})"
                for m in store.mandates.values()
                if m["customerId"] == c["id"]
            ),
        ]
        for c in reversed(list(store.customers.values()))
    ]
    subs = []
    for s in reversed(list(store.subscriptions.values())):
        action = None
        if s["status"] == "active":
            action = render("partials/charge_form.html", id=s["id"])
        subs.append(
            [
                s["id"],
                s["customerId"],
                s["status"],
                s["amount"]["value"],
                s["interval"],
                s["description"],
                s.get("nextPaymentDate"),
                s.get("timesRemaining"),
                render("partials/td.html", value=action),
            ]
        )
    deliveries = [
        [
            dt.datetime.fromtimestamp(d["time"], dt.UTC).strftime("%H:%M:%S"),
            d["paymentId"],
            d["event"],
            d["attempt"],
            d["url"],
            d["status"] if d["status"] is not None else d["error"],
        ]
        for d in reversed(store.deliveries)
    ]
    return _page(
        "overview.html",
        "Mollie sandbox",
        today=store.today().isoformat(),
        delays=", ".join(f"{x:g}" for x in schedule),
        payments=_table(
            "Payments",
            (
                "Id",
                "Created",
                "Amount",
                "Status",
                "Sequence",
                "Description",
                "Customer",
                "Subscription",
                "Refunded",
                "Charged back",
            ),
            payments,
        ),
        customers=_table("Customers", ("Id", "Name", "Email", "Created", "Mandates"), customers),
        subscriptions=_table(
            "Subscriptions",
            (
                "Id",
                "Customer",
                "Status",
                "Amount",
                "Interval",
                "Description",
                "Next payment",
                "Times remaining",
                "Action",
            ),
            subs,
        ),
        deliveries=_table(
            "Webhook deliveries",
            ("Time (UTC)", "Payment", "Event", "Attempt", "URL", "Response"),
            deliveries,
        ),
    )

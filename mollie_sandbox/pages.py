"""HTML pages: the overview at `/`, the test checkout and the change-state page.

Self-contained: one small stylesheet served by the sandbox itself, no scripts, no external
assets. Every value is passed through `html.escape`. Forms work without JavaScript.
"""

from __future__ import annotations

import datetime as dt
from html import escape

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


def _e(value) -> str:
    return escape("" if value is None else str(value))


def _doc(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n"
        '<link rel="stylesheet" href="/_sandbox/style.css">\n</head>\n<body>\n'
        f"<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def _radios(name: str, legend: str, options, checked: str) -> str:
    items = []
    for value, label in options:
        mark = " checked" if value == checked else ""
        ident = f"{name}-{value}"
        items.append(
            f'<div><input type="radio" name="{_e(name)}" id="{_e(ident)}" value="{_e(value)}"'
            f'{mark}> <label for="{_e(ident)}">{_e(label)}</label></div>'
        )
    return f"<fieldset>\n<legend>{_e(legend)}</legend>\n" + "\n".join(items) + "\n</fieldset>"


def _summary(payment: dict) -> str:
    amount = payment["amount"]
    return (
        "<dl>"
        f"<dt>Payment</dt><dd>{_e(payment['id'])}</dd>"
        f"<dt>Description</dt><dd>{_e(payment['description'])}</dd>"
        f"<dt>Amount</dt><dd>{_e(amount['currency'])} {_e(amount['value'])}</dd>"
        f"<dt>Status</dt><dd>{_e(payment['status'])}</dd>"
        "</dl>"
    )


def checkout_page(payment: dict) -> str:
    """The test checkout: pick an outcome and a method, submit, get redirected back."""
    title = "Test checkout"
    head = f'<h1>{title}</h1>\n<p class="note">Mollie sandbox: no money moves.</p>\n'
    if payment["status"] != "open":
        body = (
            head + _summary(payment) + f"<p>This payment is already {_e(payment['status'])}.</p>"
            f'<p><a href="{_e(payment.get("redirectUrl"))}">Back to the website</a></p>'
        )
        return _doc(title, body)
    method = payment["method"]
    chosen = method[0] if isinstance(method, list) else (method or "ideal")
    methods = method if isinstance(method, list) else ([method] if method else _METHODS)
    form = (
        f'<form method="post" action="/checkout/{_e(payment["id"])}">\n'
        + _radios("status", "Outcome", _OUTCOME_LABELS.items(), "paid")
        + "\n"
        + _radios(
            "method", "Payment method", [(m, _METHOD_LABELS.get(m, m)) for m in methods], chosen
        )
        + '\n<button type="submit">Continue</button>\n</form>'
    )
    return _doc(title, head + _summary(payment) + form)


def change_state_page(payment: dict) -> str:
    """Test-mode page for recurring and paid payments: set a final status or add a chargeback."""
    title = "Change payment state"
    pid = _e(payment["id"])
    body = f"<h1>{title}</h1>\n" + _summary(payment)
    if payment["status"] in ("open", "pending", "authorized"):
        options = [(s, _OUTCOME_LABELS[s]) for s in ("paid", "failed", "canceled", "expired")]
        body += (
            f'<form method="post" action="/change-state/{pid}">'
            + _radios("status", "New status", options, "paid")
            + '<button type="submit">Change status</button></form>'
        )
    elif payment["status"] == "paid":
        body += (
            f'<form method="post" action="/_sandbox/payments/{pid}/chargeback">'
            f'<input type="hidden" name="next" value="/change-state/{pid}">'
            '<label for="cb-amount">Chargeback amount (empty: all)</label> '
            '<input id="cb-amount" name="amount" inputmode="decimal"> '
            '<button type="submit">Create chargeback</button></form>'
        )
    body += '<p><a href="/">Sandbox overview</a></p>'
    return _doc(title, body)


def _table(caption: str, headers, rows) -> str:
    head = "".join(f'<th scope="col">{_e(h)}</th>' for h in headers)
    if not rows:
        return f"<p>No {_e(caption.lower())} yet.</p>"
    body = "\n".join("<tr>" + "".join(rows_cells) + "</tr>" for rows_cells in rows)
    return (
        f"<table>\n<caption>{_e(caption)}</caption>\n<thead><tr>{head}</tr></thead>\n"
        f"<tbody>\n{body}\n</tbody>\n</table>"
    )


def _td(value) -> str:
    return f"<td>{_e(value)}</td>"


def overview_page(store, schedule) -> str:
    """Everything in the sandbox, newest first, with buttons to run subscriptions."""
    payments = []
    for p in reversed(list(store.payments.values())):
        refunded, charged_back, _ = payment_totals(store, p)
        pid = _e(p["id"])
        target = "checkout"
        if p["sequenceType"] == "recurring" or p["status"] == "paid":
            target = "change-state"
        link = f'<td id="{pid}"><a href="/{target}/{pid}">{pid}</a></td>'
        payments.append(
            [link]
            + [
                _td(x)
                for x in (
                    p["createdAt"],
                    p["amount"]["value"],
                    p["status"],
                    p["sequenceType"],
                    p["description"],
                    p.get("customerId"),
                    p.get("subscriptionId"),
                    f"{refunded:.2f}",
                    f"{charged_back:.2f}",
                )
            ]
        )
    customers = [
        [f'<td id="{_e(c["id"])}">{_e(c["id"])}</td>']
        + [_td(c.get(k)) for k in ("name", "email", "createdAt")]
        + [
            _td(
                ", ".join(
                    f"{m['id']} ({m['method']}, {m['status']})"
                    for m in store.mandates.values()
                    if m["customerId"] == c["id"]
                )
            )
        ]
        for c in reversed(list(store.customers.values()))
    ]
    subs = []
    for s in reversed(list(store.subscriptions.values())):
        action = "<td></td>"
        if s["status"] == "active":
            action = (
                f'<td><form method="post" action="/_sandbox/subscriptions/{_e(s["id"])}/charge">'
                '<input type="hidden" name="next" value="/">'
                f'<label for="o-{_e(s["id"])}">Outcome</label> '
                f'<select id="o-{_e(s["id"])}" name="outcome"><option>paid</option>'
                "<option>failed</option><option>pending</option></select> "
                f'<button type="submit">Charge now</button></form></td>'
            )
        subs.append(
            [_td(s["id"])]
            + [
                _td(x)
                for x in (
                    s["customerId"],
                    s["status"],
                    s["amount"]["value"],
                    s["interval"],
                    s["description"],
                    s.get("nextPaymentDate"),
                    s.get("timesRemaining"),
                )
            ]
            + [action]
        )
    deliveries = [
        [
            _td(dt.datetime.fromtimestamp(d["time"], dt.UTC).strftime("%H:%M:%S")),
            _td(d["paymentId"]),
            _td(d["event"]),
            _td(d["attempt"]),
            _td(d["url"]),
            _td(d["status"] if d["status"] is not None else d["error"]),
        ]
        for d in reversed(store.deliveries)
    ]
    clock = (
        f"<p>Sandbox today: <strong>{_e(store.today().isoformat())}</strong>. "
        f"Webhook retry delays (seconds): {_e(', '.join(f'{x:g}' for x in schedule))}.</p>"
        '<form method="post" action="/_sandbox/clock/advance">'
        '<input type="hidden" name="months" value="1"><input type="hidden" name="next" value="/">'
        '<button type="submit">Advance clock one month</button></form>'
    )
    body = (
        "<h1>Mollie sandbox</h1>\n"
        + clock
        + "\n<h2>Payments</h2>\n"
        + _table(
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
        )
        + "\n<h2>Customers</h2>\n"
        + _table("Customers", ("Id", "Name", "Email", "Created", "Mandates"), customers)
        + "\n<h2>Subscriptions</h2>\n"
        + _table(
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
        )
        + "\n<h2>Webhook deliveries</h2>\n"
        + _table(
            "Webhook deliveries",
            ("Time (UTC)", "Payment", "Event", "Attempt", "URL", "Response"),
            deliveries,
        )
    )
    return _doc("Mollie sandbox", body)

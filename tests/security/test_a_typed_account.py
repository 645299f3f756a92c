"""Someone who types an account that is not theirs, or races the donor and Mollie, against
giving by direct-debit mandate (docs/security.md, "Someone who types an account that is not
theirs"). Written by an attacker who was told only the threat model; each test states what
must hold. They drive the site over HTTP (Django's test client) with the Mollie sandbox
behind it over real HTTP, like the other security tests."""

import datetime

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from donations import services
from donations.models import BankMandate, Donation, Payment, Subscription

from ..donations.conftest import webhook
from ..donations.test_direct_debit import FIRST, give, stop_link
from ..supporters.conftest import log_in, url

pytestmark = pytest.mark.django_db

NEW_IBAN = "DE89 3704 0044 0532 0130 00"


def at(fixed_clock, day: datetime.date, hour: int = 10) -> None:
    fixed_clock.move_to(datetime.datetime.combine(day, datetime.time(hour)))


def new_account(client, gift: Subscription, iban: str = NEW_IBAN):
    """The (logged-in) donor gives `gift` a new account in the supporter area."""
    page = client.get(url("bank_account", gift=gift.pk))
    assert page.status_code == 200
    response = client.post(
        url("bank_account", gift=gift.pk),
        {
            "holder": "A. Example",
            "iban": iban,
            "agree": "on",
            "reference": page.context["signed_reference"],
        },
    )
    assert response.status_code == 303, response.content.decode()[:2000]
    return page


def reconcile():
    return services.payments_reconcile(older_than_minutes=0, workers=1)


# --- 1. A returned debit from the OLD account halts a gift that moved to a NEW one --------------


def test_a_closed_old_account_does_not_halt_a_gift_that_moved_to_a_new_account(
    client, mollie, fixed_clock
):
    """The donor's old account is being closed; a collection from it is pending; the donor
    gives a new account in the area. The pending debit then comes back AC04 (account closed).
    The gift is on the new account: it must go on. At this commit it is halted, the NEW
    mandate is revoked at Mollie and ended here, and the donor is told 'your bank could not
    collect' and asked for a new account (the one they just gave)."""
    old = give(client)
    gift = Subscription.objects.get(donation=old.donation)
    at(fixed_clock, FIRST)
    [charge] = mollie.advance_clock(outcome="failed", reason="AC04")["charged"]  # pending 3 days
    assert mollie.store.payments[charge]["mandateId"] == old.mollie_id

    log_in(client, gift.supporter)
    new_account(client, gift)
    new = BankMandate.objects.get(donation=gift.donation, iban_masked="DE** **** **** 3000")
    gift.refresh_from_db()
    assert gift.mandate_id == new.mollie_id  # the gift charges the new account from now on
    mail.outbox.clear()

    fixed_clock.shift(datetime.timedelta(days=3))
    mollie.advance_clock()  # the old account's debit comes back: AC04
    assert webhook(client, charge).status_code == 200

    returned = Payment.objects.get(mollie_id=charge)
    gift.refresh_from_db()
    new.refresh_from_db()
    assert returned.mandate_id == old.mollie_id
    assert gift.phase == "running", (gift.phase, gift.halted_reason, returned.recovery)
    assert new.status == "active" and new.end == ""
    assert mollie.store.mandates[new.mollie_id]["status"] == "valid"
    assert "Your bank could not collect your gift" not in [m.subject for m in mail.outbox]


# --- 2. The new attempt after AM04 is made on the OLD (replaced, revoked) mandate ---------------


def test_a_new_attempt_after_insufficient_funds_follows_the_gift_to_its_new_account(
    client, mollie, fixed_clock
):
    """A collection fails AM04 (no funds): a new attempt is planned in 5 days on
    `payment.mandate_id`. Meanwhile the donor gives a new account (the old one is revoked at
    once, nothing is pending on it). At this commit the new attempt is still made on the old,
    revoked mandate: Mollie refuses it, and reconciliation fails on it at every run, forever
    (the payment stays 'retry-due' and the gift is marked for a full compare every time).
    Had the old mandate not been revoked yet, the OLD account would have been debited."""
    old = give(client)
    gift = Subscription.objects.get(donation=old.donation)
    at(fixed_clock, FIRST)
    [charge] = mollie.advance_clock(outcome="failed", reason="AM04")["charged"]
    fixed_clock.shift(datetime.timedelta(days=3))
    mollie.advance_clock()
    webhook(client, charge)
    returned = Payment.objects.get(mollie_id=charge)
    assert returned.recovery == "retry-due"

    log_in(client, gift.supporter)
    new_account(client, gift)
    assert mollie.store.mandates[old.mollie_id]["status"] == "invalid"  # old one revoked

    at(fixed_clock, returned.retry_due_on)
    first, second = reconcile(), reconcile()
    returned.refresh_from_db()
    assert first.errors == [] and second.errors == [], (first.errors, second.errors)
    assert returned.recovery != "retry-due"


# --- 3. A new account leaves the new mandate marked as replaced, its holder forgotten -----------


def test_the_new_account_is_not_marked_as_replaced_by_itself(client, mollie):
    """mandate_replace ends every mandate of the donation with REPLACED, the new one (still
    'new') included, then sets only its status back to active: the new, live mandate has
    end='replaced', an ended_at, and its holder's name wiped."""
    old = give(client)
    gift = Subscription.objects.get(donation=old.donation)
    log_in(client, gift.supporter)
    new_account(client, gift)
    new = BankMandate.objects.get(donation=gift.donation, iban_masked="DE** **** **** 3000")
    assert new.status == "active"
    assert (new.end, new.ended_at, new.holder_name) == ("", None, "A. Example")


# --- 4. A new account is debited sooner than the mandate text promises ---------------------------


def test_a_new_account_says_on_which_day_it_is_first_collected(client, mollie, fixed_clock):
    """A new account for a running gift is charged on the gift's next day, which may be
    sooner than a new gift's fourteen days: the page and the notice say which day, the donor
    agrees to it, and nothing is taken from the new account before that day."""
    old = give(client)
    gift = Subscription.objects.get(donation=old.donation)
    at(fixed_clock, FIRST - datetime.timedelta(days=1))  # the day before the collection
    mollie.advance_clock(to=(FIRST - datetime.timedelta(days=1)).isoformat())
    log_in(client, gift.supporter)
    page = new_account(client, gift).content.decode()
    assert "29 June 2026: your gift&#x27;s next" in page or "29 June 2026: your gift's next" in page
    assert "at least 14 days before the first collection" not in page
    new = BankMandate.objects.get(donation=gift.donation, iban_masked="DE** **** **** 3000")
    assert new.first_collection_on == FIRST
    notice = [m for m in mail.outbox if "direct debit" in m.subject][-1]
    assert "From the next collection on 29 June 2026" in notice.body
    charged = mollie.advance_clock(to=FIRST.isoformat())["charged"]
    assert [mollie.store.payments[c]["mandateId"] for c in charged] == [new.mollie_id]
    for charge in charged:
        day = datetime.date.fromisoformat(mollie.store.payments[charge]["createdAt"][:10])
        assert day >= new.first_collection_on


# --- 5. "Stop it all" says nothing will be collected, but the gift goes on -----------------------


def test_the_stop_link_does_not_claim_a_stop_when_the_gift_goes_on(client, mollie, fixed_clock):
    """A gift by mandate moves to a card (the payment-method check at the checkout). Its
    mandate by IBAN is revoked at Mollie but stays 'active' here, with a working stop link.
    Whoever clicks it is told 'the direct debit has been stopped, and the gift with it.
    Nothing will be collected' while the gift goes on charging the card."""
    old = give(client)
    gift = Subscription.objects.get(donation=old.donation)
    link = stop_link().removeprefix("http://testserver")
    log_in(client, gift.supporter)
    started = client.post(url("payment_method", gift=gift.pk))
    assert started.status_code == 303, started.content.decode()[:1500]
    check = Payment.objects.get(subscription=gift, is_verification=True)
    back = mollie.checkout(check.mollie_id, "paid", "creditcard")
    client.get(back.removeprefix("http://testserver"))
    gift.refresh_from_db()
    assert gift.mandate_id != old.mollie_id  # the gift charges the card now
    assert mollie.store.mandates[old.mollie_id]["status"] == "invalid"  # revoked at Mollie
    old.refresh_from_db()
    shown_active = old.status == "active"

    stopped = Client().post(link)
    gift.refresh_from_db()
    said_stopped = "Nothing will be collected" in stopped.content.decode()
    assert not shown_active and not (said_stopped and gift.state != "stopped"), {
        "revoked at Mollie, active here": shown_active,
        "stop page said 'nothing will be collected'": said_stopped,
        "gift after the click": gift.state,
        "next charge from": mollie.store.subscriptions[gift.mollie_id]["mandateId"],
    }


# --- 6. A lost answer when the mandate is made leaves a valid mandate at Mollie ----------------


def test_a_lost_answer_to_the_mandate_leaves_no_valid_mandate_at_mollie(
    client, mollie, fixed_clock
):
    """Mollie makes the mandate but its answer is lost: the site ends its row as 'refused'
    without a Mollie id, and nothing ever revokes the valid mandate at Mollie (with the
    donor's IBAN on it). Site and Mollie disagree."""
    from ..donations.test_direct_debit import mandate_page, payload_of

    page = mandate_page(client)
    mollie.set_faults([{"pattern": "POST /v2/customers/*/mandates", "drop": 1}])
    try:
        answer = client.post(
            reverse("donations:mandate_sign"), {"payload": payload_of(page), "agree": "on"}
        )
    finally:
        mollie.clear_faults()
    assert answer.status_code in (400, 503), answer.status_code
    row = BankMandate.objects.get()
    fixed_clock.shift(datetime.timedelta(minutes=11))  # reconciliation leaves young rows be
    reconcile()
    row.refresh_from_db()
    valid_at_mollie = [
        m["id"]
        for m in mollie.store.mandates.values()
        if m["status"] == "valid" and m["customerId"] == row.donation.mollie_customer_id
    ]
    assert valid_at_mollie == [] or valid_at_mollie == [row.mollie_id], (
        row.status,
        row.end,
        row.mollie_id,
        valid_at_mollie,
    )


# --- 7. A lost answer when the gift is moved: the new account is debited without notice -------


def test_a_lost_answer_moving_the_gift_never_debits_the_new_account_without_notice(
    client, mollie, fixed_clock
):
    """Mollie moves the subscription to the new mandate, but its answer is lost. The change
    is left 'unsettled'; settling copies Mollie's mandate onto the gift, but the new
    BankMandate stays 'new' without a Mollie id, the old one stays 'active' with a working
    stop link, and no notice is ever sent for the new account, which Mollie now debits."""
    old = give(client)
    gift = Subscription.objects.get(donation=old.donation)
    log_in(client, gift.supporter)
    page = client.get(url("bank_account", gift=gift.pk))
    mail.outbox.clear()
    mollie.set_faults([{"pattern": "PATCH /v2/customers/*/subscriptions/*", "drop": 1}])
    try:
        client.post(
            url("bank_account", gift=gift.pk),
            {"holder": "A. Example", "iban": NEW_IBAN, "agree": "on",
             "reference": page.context["signed_reference"]},
        )  # fmt: skip
    finally:
        mollie.clear_faults()
    at_mollie = mollie.store.subscriptions[gift.mollie_id]["mandateId"]
    assert at_mollie != old.mollie_id  # Mollie did move it
    reconcile()
    gift.refresh_from_db()
    old.refresh_from_db()
    assert gift.mandate_id == at_mollie
    known = BankMandate.objects.filter(mollie_id=at_mollie, status="active").exists()
    noticed = [m for m in mail.outbox if "direct debit" in m.subject]
    charged = mollie.advance_clock(to=FIRST.isoformat())["charged"]
    from_new = [c for c in charged if mollie.store.payments[c]["mandateId"] == at_mollie]
    # What Mollie charges must be a mandate the site knows, announced to the donor.
    assert not from_new or (known and noticed), {
        "debited from the new account": from_new,
        "site's mandates": list(BankMandate.objects.values("mollie_id", "status", "end")),
        "emails": [m.subject for m in mail.outbox],
    }


# --- 8. The per-address budget counts spellings of one mailbox apart ----------------------------


@pytest.mark.parametrize(
    "spellings",
    [
        ['"ann"@example.org', "ann@example.org", '"a\\nn"@example.org'],
        ["ann@gmail.com", "ann@googlemail.com", "a.nn@googlemail.com"],
        ["ann@exämple.org", "ann@xn--exmple-cua.org", "ann@EXÄMPLE.org"],
    ],
)
def test_the_per_address_budget_counts_one_mailbox_once(client, mollie, spellings):
    """DIRECT_DEBIT_PER_ADDRESS_PER_DAY (2) is per mailbox: notices to one inbox, from any
    number of clients. Quoted local parts, googlemail/gmail and IDN spellings each count
    apart, so a third notice reaches the same inbox the same day."""
    from supporters.models import mailbox_of

    assert len({mailbox_of(s) for s in spellings}) == 1, [mailbox_of(s) for s in spellings]


# --- 9. Two clicks on "Agree": the second shows 'stopped' ------------------------------------


def test_a_second_click_on_agree_while_the_first_waits_for_mollie(client, mollie, monkeypatch):
    """The donor double-clicks "Agree and start my gift". The first request has stored the
    mandate row ('new') and waits for Mollie; the second finds it by its reference and sends
    the browser (which shows the last answer) to the landing page, which says 'This direct
    debit has been stopped. Nothing will be collected.' while it is being set up."""
    from donations import gateway

    from ..donations.test_direct_debit import mandate_page, payload_of

    page = mandate_page(client)
    data = {"payload": payload_of(page), "agree": "on"}
    real = gateway.mandate_create
    seen = {}

    def slow_mollie(**kwargs):
        if "second" not in seen:  # the second click lands while Mollie is being asked
            second = client.post(reverse("donations:mandate_sign"), data)
            seen["second"] = second
            seen["landing"] = client.get(second["Location"]) if second.status_code == 303 else None
        return real(**kwargs)

    monkeypatch.setattr(gateway, "mandate_create", slow_mollie)
    first = client.post(reverse("donations:mandate_sign"), data)
    assert first.status_code == 303
    landing = seen["landing"]
    assert landing is not None
    text = landing.content.decode()
    assert "has been stopped" not in text, "the browser shows 'stopped' for a gift being set up"
    assert Donation.objects.count() == 1


# --- 10. Two clicks on "Agree" that both pass the "sent twice" check: a 500 and a stray gift ----


@pytest.mark.django_db(transaction=True)  # the two requests commit for real, as in production
def test_two_clicks_on_agree_at_the_same_moment_give_one_gift_and_no_error(
    client, mollie, monkeypatch
):
    """Both requests look for a mandate with the payload's reference before either stored it
    (mandate_gift_start: the check, then the budgets, then the inserts). The second insert
    of the same reference fails with IntegrityError: a 500, a stray Donation (route mandate,
    no mandate), and budgets spent twice."""
    from donations.services import direct_debit

    from ..donations.test_direct_debit import mandate_page, payload_of

    page = mandate_page(client)
    data = {"payload": payload_of(page), "agree": "on"}
    real = direct_debit._budgets_spend
    other = Client()
    other.raise_request_exception = False
    seen = {}

    def budgets_then_the_other_click(**kwargs):
        real(**kwargs)
        if "second" not in seen:  # the other click runs to its end right here
            seen["second"] = other.post(reverse("donations:mandate_sign"), data)

    monkeypatch.setattr(direct_debit, "_budgets_spend", budgets_then_the_other_click)
    client.raise_request_exception = False
    first = client.post(reverse("donations:mandate_sign"), data)
    statuses = sorted([first.status_code, seen["second"].status_code])
    assert statuses == [303, 303], statuses
    assert Donation.objects.count() == 1, list(
        Donation.objects.values("pk", "route", "mollie_customer_id")
    )


# --- 11. "I never gave this mandate" (chargeback MD01): the account goes on being debited -------


def test_an_unauthorised_debit_reversal_stops_collecting_from_that_account(
    client, mollie, fixed_clock
):
    """Someone typed a stranger's IBAN (their own email: the notice went to them). The account
    holder sees the debit and has their bank reverse it as unauthorised (R-transaction MD01,
    'no valid mandate'; possible for 13 months). Every chargeback is treated as a donor's
    refund (REFUSED): a friendly email (to the typist) and nothing else, so the stranger's
    account is debited again next month, and the month after (staff only see it flagged)."""
    mandate = give(client)
    gift = Subscription.objects.get(donation=mandate.donation)
    at(fixed_clock, FIRST)
    [charge] = mollie.advance_clock()["charged"]
    fixed_clock.shift(datetime.timedelta(days=3))
    mollie.advance_clock()
    webhook(client, charge)
    mollie.chargeback(charge, reason="MD01")
    webhook(client, charge)
    paid = Payment.objects.get(mollie_id=charge)
    assert paid.bank_reason_code == "MD01"
    gift.refresh_from_db()
    next_month = mollie.advance_clock(to=(FIRST + datetime.timedelta(days=31)).isoformat())
    assert gift.phase != "running" and next_month["charged"] == [], (
        gift.phase,
        paid.recovery,
        next_month["charged"],
    )


# --- 12. "This was not me" while the gift's Mollie subscription is being made ------------------


@pytest.mark.django_db(transaction=True)
def test_the_stop_link_while_the_subscription_is_being_made(client, mollie, monkeypatch):
    """(Holds.) The stop link is clicked while the worker asks Mollie for the subscription:
    nothing is ever charged, and site and Mollie agree that the gift is stopped."""
    from donations import gateway

    real = gateway.subscription_create
    stopped = {}

    def with_a_click_meanwhile(**kwargs):
        link = stop_link().removeprefix("http://testserver")
        stopped["page"] = Client().post(link)
        return real(**kwargs)

    monkeypatch.setattr(gateway, "subscription_create", with_a_click_meanwhile)
    mandate = give(client)
    assert stopped["page"].status_code == 200
    reconcile()
    mandate.refresh_from_db()
    live = [s for s in mollie.store.subscriptions.values() if s["status"] == "active"]
    gift = Subscription.objects.filter(donation=mandate.donation).first()
    assert live == [] and mandate.status == "ended"
    assert gift is None or gift.state == "stopped"
    assert mollie.advance_clock(days=60)["charged"] == []


# --- 13. One client locks any account (or address) out of direct debit, without a mandate ------


def test_a_refused_attempt_does_not_spend_a_strangers_account_budget(client, mollie):
    """_budgets_spend counts every budget before looking at any: an attempt the client's own
    budget refuses still counts against the account and the address it names. One client,
    past its own budget (3 a day), locks any IBAN out for 30 days and any address for a day,
    two requests each, without a single mandate being made on them; the signed payloads it
    needs cost nothing (the form is not budgeted). The real holder is then refused."""
    from ..donations.test_direct_debit import MANDATE_FORM, payload_of

    victim_iban = "BE68 5390 0754 7034"
    attacker = Client(REMOTE_ADDR="203.0.113.5")

    def sign(browser, **fields):
        page = browser.post(reverse("donations:donate"), {**MANDATE_FORM, **fields})
        assert page.status_code == 200, page.status_code
        return browser.post(
            reverse("donations:mandate_sign"), {"payload": payload_of(page), "agree": "on"}
        )

    own = [
        "GB82 WEST 1234 5698 7654 32",
        "IE29 AIBK 9311 5212 3456 78",
        "CH93 0076 2011 6238 5295 7",
    ]
    for number, iban in enumerate(own):  # the attacker's own budget, spent on its own gifts
        assert sign(attacker, iban=iban, email=f"m{number}@attacker.example").status_code == 303
    for number in range(2):  # refused: yet each counts against the victim's account
        refused = sign(attacker, iban=victim_iban, email=f"x{number}@attacker.example")
        assert refused.status_code == 429
    assert not BankMandate.objects.filter(iban_masked="BE** **** **** 7034").exists()

    victim = Client(REMOTE_ADDR="198.51.100.7")
    answer = sign(victim, iban=victim_iban, email="real.holder@example.org", holder="R. Holder")
    assert answer.status_code == 303, "the real holder is refused for 30 days"


# --- 14. The per-client budget is per IPv6 /64: one subscriber's /56 or /48 counts as many ----


def test_one_ipv6_subscriber_is_one_client_for_the_mandate_budget(mollie):
    """DIRECT_DEBIT_PER_CLIENT_PER_DAY is 3. ISPs and tunnel brokers commonly delegate a /56
    (256 /64s) or a /48 (65,536) to one subscriber; counting per /64 gives each of them that
    many budgets: a bot trying many IBANs from one home line or one cheap VPS is barely
    slowed (the per-IBAN and per-address budgets do not limit trying *many* IBANs)."""
    from ..donations.test_direct_debit import MANDATE_FORM, payload_of

    ibans = [
        "GB82 WEST 1234 5698 7654 32",
        "IE29 AIBK 9311 5212 3456 78",
        "CH93 0076 2011 6238 5295 7",
        "BE68 5390 0754 7034",
    ]
    statuses = []
    for number, iban in enumerate(ibans):
        bot = Client(REMOTE_ADDR=f"2001:db8:77:{number:x}::1")  # one /56, four /64s
        page = bot.post(
            reverse("donations:donate"),
            {**MANDATE_FORM, "iban": iban, "email": f"bot{number}@bot.example"},
        )
        answer = bot.post(
            reverse("donations:mandate_sign"), {"payload": payload_of(page), "agree": "on"}
        )
        statuses.append(answer.status_code)
    assert statuses[-1] == 429, statuses

"""What the donations app announces, for other apps to act on (the supporter area emails donors).

Donations knows nothing of who listens. `gift_event` is sent with `sender` set to the event and
the objects it concerns as keyword arguments:

- PAYMENT_PAID, PAYMENT_UNSUCCESSFUL: `payment` (a Payment that has just become paid, or
  failed, was canceled or expired; any sequence type, payment-method checks included);
- PAYMENT_CHARGED_BACK: `payment` (the donor's bank took back, all or part of, a paid gift);
- REGULAR_STARTED: `subscription` (a regular gift, monthly, quarterly or yearly, created at
  Mollie after its first payment was paid);
- REGULAR_AMOUNT_CHANGED: `subscription` and `previous` (the old amount);
- REGULAR_STOPPED: `subscription` and `notify` (False when it was stopped because the
  supporter is being erased, who is told about that instead);
- REGULAR_PAUSED: `subscription` (no charge before `subscription.paused_until`);
- REGULAR_RESUMED: `subscription` (charged again from `next_charge` when given, else from
  `subscription.next_payment_date`; given when Mollie's side is still to be made);
- REGULAR_SUSPENDED: `subscription` (Mollie stopped charging: the mandate no longer works);
- REGULAR_HALTED: `subscription`, `reason` (the bank's code) and `notify` (False when the
  account holder has died): we stopped collecting because the bank said the account cannot be
  debited; the gift waits for a new account or payment method;
- MANDATE_GIVEN: `mandate` (a BankMandate: a donor gave a direct-debit mandate with an IBAN,
  for a new gift or as the new account of a running one; the notice with the mandate, the
  first collection and the "this was not me" link is due);
- MANDATE_STOPPED: `mandate` (someone holding the notice's link stopped the mandate and its
  gift: the address is told);
- PAYMENT_METHOD_CHANGED: `subscription` (it now charges the new mandate);
- CHARGE_UPCOMING: `subscription` and `charge_date` (a charge that differs from the usual one
  comes on that day: a pre-debit notice is due);
- AGREEMENT_SIGNED: `agreement` (a periodic gift agreement the supporter signed).

It is sent *inside* the transaction that made the change, once per change (the change is made
under a row lock and only when it really changes). So a receiver that writes to the database
(the email outbox) commits or rolls back together with the change itself: a crash after the
commit cannot lose its email, and a rollback cannot send one. A receiver that does anything
outside the database must defer it with `transaction.on_commit`, as the outbox does.
"""

import enum

from django.dispatch import Signal


class GiftEvent(enum.StrEnum):
    PAYMENT_PAID = "payment-paid"
    PAYMENT_UNSUCCESSFUL = "payment-unsuccessful"
    REGULAR_STARTED = "regular-started"
    REGULAR_AMOUNT_CHANGED = "regular-amount-changed"
    REGULAR_STOPPED = "regular-stopped"
    REGULAR_PAUSED = "regular-paused"
    REGULAR_RESUMED = "regular-resumed"
    REGULAR_SUSPENDED = "regular-suspended"
    REGULAR_HALTED = "regular-halted"
    MANDATE_GIVEN = "mandate-given"
    MANDATE_STOPPED = "mandate-stopped"
    PAYMENT_CHARGED_BACK = "payment-charged-back"
    PAYMENT_METHOD_CHANGED = "payment-method-changed"
    CHARGE_UPCOMING = "charge-upcoming"
    AGREEMENT_SIGNED = "agreement-signed"


gift_event = Signal()


def gift_event_announce(event: GiftEvent, **details) -> None:
    """Tell every receiver of `gift_event` about `event` (see the module doc for `details`)."""
    gift_event.send(sender=event, event=event, **details)

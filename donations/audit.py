"""What the donations app's services record in the audit trail (core.AuditEvent)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.actions import actions_register
from core.actors import Actor
from core.audit import audit_record

PAYMENT_REFUND = "payment.refund"
SUBSCRIPTION_CANCEL = "subscription.cancel"
SUBSCRIPTION_AMOUNT = "subscription.amount"
SUBSCRIPTION_PAUSE = "subscription.pause"
SUBSCRIPTION_RESUME = "subscription.resume"
SUBSCRIPTION_METHOD = "subscription.method"
AGREEMENT_SIGN = "agreement.sign"
SUBSCRIPTION_HALT = "subscription.halt"
MANDATE_STOP = "mandate.stop"
MANDATE_REPLACE = "mandate.replace"
SUBSCRIPTION_ATTENTION = "subscription.attention_done"
GIFT_RECORD = "payment.record"
GIFT_VOID = "payment.void"
STATEMENT_IMPORT = "statement.import"
TRANSFER_IGNORE = "banktransfer.ignore"

actions_register(
    {
        PAYMENT_REFUND: _("payment refunded"),
        SUBSCRIPTION_CANCEL: _("regular gift stopped"),
        SUBSCRIPTION_AMOUNT: _("amount of a regular gift changed"),
        SUBSCRIPTION_PAUSE: _("gift paused"),
        SUBSCRIPTION_RESUME: _("gift resumed"),
        SUBSCRIPTION_METHOD: _("payment method change started"),
        AGREEMENT_SIGN: _("periodic gift agreement signed"),
        SUBSCRIPTION_HALT: _("collection halted: the bank could not debit the account"),
        MANDATE_STOP: _("direct-debit mandate stopped with the link in its notice"),
        MANDATE_REPLACE: _("new account for a direct debit"),
        SUBSCRIPTION_ATTENTION: _("marked as dealt with"),
        GIFT_RECORD: _("gift recorded (outside Mollie)"),
        GIFT_VOID: _("recorded gift undone"),
        STATEMENT_IMPORT: _("bank statement imported"),
        TRANSFER_IGNORE: _("bank transfer ignored (no gift)"),
    }
)


def gift_audit(actor: Actor, action: str, gift: models.Model, **data) -> None:
    """Record `action` on a payment or regular gift (`gift`, with its `mollie_id`), in the
    caller's transaction. A supporter acting in their own area is recorded against their own
    record (the gift's id is in `data`); staff and the system against the gift itself."""
    if actor.is_supporter:
        subject_type, subject_id = "supporter", gift.supporter_id
    else:
        subject_type, subject_id = gift._meta.model_name, gift.mollie_id
    audit_record(
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        supporter_id=gift.supporter_id,
        data=data,
    )


def mandate_audit(actor: Actor, action: str, mandate: models.Model, **data) -> None:
    """Record `action` on a mandate by IBAN (`mandate`, a BankMandate), in the caller's
    transaction, by its reference (never the account)."""
    audit_record(
        actor=actor,
        action=action,
        subject_type="bankmandate",
        subject_id=mandate.reference,
        supporter_id=mandate.donation.supporter_id,
        data=data,
    )

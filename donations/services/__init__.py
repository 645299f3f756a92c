"""Every write of the donations app: starting gifts, following Mollie, managing monthly gifts.

State rules (see docs/architecture.md): each Mollie payment is one Payment row; status changes
happen under a row lock and only when the status really changes; each change is announced
(donations.events) in the same transaction, once, for other apps to act on; Mollie calls carry
stable idempotency keys so a retry never charges twice.
"""

from ..exceptions import (
    AccountRefused,
    DirectDebitLimitReached,
    GiftBusy,
    GiftError,
    GiftNotChangeable,
    PaymentProviderError,
    PaymentProviderRefused,
    PaymentProviderUnavailable,
    RefundNotPossible,
    SimilarGiftExists,
    StatementNotOurs,
)
from .agreements import (
    DONOR_FIELDS,
    agreement_sign,
    agreement_sign_by_transfer,
    agreement_yearly_amount,
)
from .changes import changes_settle
from .charges import pre_debit_notices_send
from .common import webhook_path, webhook_token_is_ours
from .direct_debit import (
    MandateTerms,
    mandate_by_stop_token,
    mandate_gift_start,
    mandate_notice_details,
    mandate_notice_key,
    mandate_notice_sent,
    mandate_replace,
    mandate_stop_by_link,
    mandate_terms,
    mandates_follow_up,
    replacement_first_collection,
)
from .mandates import VERIFICATION_AMOUNT, mandate_change_start
from .privacy import supporter_gifts_anonymise, supporter_gifts_stop
from .reconcile import ReconcileReport, payments_reconcile, subscription_sync
from .recorded import (
    ImportReport,
    gift_record,
    gift_void,
    statement_import,
    transfer_assign,
    transfer_ignore,
    transfer_reference_for,
)
from .recovery import gifts_attention_done, recoveries_due
from .refunds import payment_refund
from .start import donation_start
from .subscriptions import (
    PAUSE_MONTHS,
    subscription_cancel,
    subscription_pause,
    subscription_resume,
    subscription_start,
    subscription_update_amount,
)
from .sync import SyncResult, mandate_change_refresh, payment_refresh, payment_sync

__all__ = [
    "DONOR_FIELDS",
    "PAUSE_MONTHS",
    "VERIFICATION_AMOUNT",
    "AccountRefused",
    "DirectDebitLimitReached",
    "GiftBusy",
    "GiftError",
    "GiftNotChangeable",
    "ImportReport",
    "MandateTerms",
    "PaymentProviderError",
    "PaymentProviderRefused",
    "PaymentProviderUnavailable",
    "ReconcileReport",
    "RefundNotPossible",
    "SimilarGiftExists",
    "StatementNotOurs",
    "SyncResult",
    "agreement_sign",
    "agreement_sign_by_transfer",
    "agreement_yearly_amount",
    "changes_settle",
    "donation_start",
    "gift_record",
    "gift_void",
    "gifts_attention_done",
    "mandate_by_stop_token",
    "mandate_change_refresh",
    "mandate_change_start",
    "mandate_gift_start",
    "mandate_notice_details",
    "mandate_notice_key",
    "mandate_notice_sent",
    "mandate_replace",
    "mandate_stop_by_link",
    "mandate_terms",
    "mandates_follow_up",
    "payment_refresh",
    "payment_refund",
    "payment_sync",
    "payments_reconcile",
    "pre_debit_notices_send",
    "recoveries_due",
    "replacement_first_collection",
    "statement_import",
    "subscription_cancel",
    "subscription_pause",
    "subscription_resume",
    "subscription_start",
    "subscription_sync",
    "subscription_update_amount",
    "supporter_gifts_anonymise",
    "supporter_gifts_stop",
    "transfer_assign",
    "transfer_ignore",
    "transfer_reference_for",
    "webhook_path",
    "webhook_token_is_ours",
]

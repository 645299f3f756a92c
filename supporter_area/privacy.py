"""A supporter's own data: everything we hold as a download, and erasure.

Erasure takes personal data away and keeps the financial records the law requires; the money
side (stopping monthly gifts at Mollie, stripping Mollie's data from payments) is the donations
app's, through its services.
"""

from django.db import transaction

from core.actors import Actor
from core.export import export_time
from donations import selectors as gifts
from donations import services as gift_services
from supporters.audit import supporter_audit
from supporters.models import Supporter
from supporters.services import supporter_forget

from . import audit
from .emails import erasure_confirmation_send


def supporter_export(*, supporter: Supporter, actor: Actor) -> dict:
    """Everything we hold about `supporter`, as plain data for a JSON download; the export is
    recorded in the audit trail as done by `actor`."""
    supporter_audit(actor, audit.SUPPORTER_EXPORT, supporter.pk)
    return {
        "supporter": {
            "email": supporter.email,
            "name": supporter.name,
            "language": supporter.language,
            "created_at": export_time(supporter.created_at),
        },
        **gifts.supporter_gifts_export(supporter=supporter),
        "emails": [
            {
                "kind": e.kind,
                "subject": e.subject,
                "to": e.to,
                "status": e.status,
                "created_at": export_time(e.created_at),
                "sent_at": export_time(e.sent_at),
            }
            for e in supporter.emails.order_by("created_at")
        ],
    }


def supporter_erase(*, supporter: Supporter, actor: Actor) -> None:
    """Stop any monthly gift at Mollie, confirm by email, then anonymise the supporter.

    The Mollie customer is deleted too. Payments, donations and subscriptions are kept
    (bookkeeping law requires them) but no longer say who gave: the supporter row keeps only an
    anonymous placeholder address, and the raw Mollie data on payments (which can hold names
    and account numbers) is removed. Raises PaymentProviderUnavailable when a monthly gift
    cannot be stopped; nothing is erased then, so the donor is never left paying without an
    account to stop it from.
    """
    gift_services.supporter_gifts_stop(supporter=supporter, actor=actor)
    erasure_confirmation_send(supporter=supporter)
    with transaction.atomic():
        gift_services.supporter_gifts_anonymise(supporter=supporter)
        supporter_forget(supporter=supporter)
        supporter_audit(actor, audit.SUPPORTER_ERASE, supporter.pk)

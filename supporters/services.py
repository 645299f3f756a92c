"""Writes for supporters."""

from django.db import IntegrityError, transaction

from .models import Supporter, normalise_email


def supporter_get_or_create(*, email: str, name: str, language: str) -> tuple[Supporter, bool]:
    """The supporter with this address (any case), created when new; `(supporter, created)`.

    An existing supporter's details are never changed here: anyone can type any address into a
    public form, so only the supporter themself (logged in) may change them.
    """
    email = normalise_email(email)
    supporter = Supporter.objects.filter(email=email).first()
    if supporter is not None:
        return supporter, False
    try:
        with transaction.atomic():
            return Supporter.objects.create(email=email, name=name, language=language), True
    except IntegrityError:  # created by a concurrent request a moment ago
        return Supporter.objects.get(email=email), False

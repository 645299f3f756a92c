"""Invalidate cached public pages whenever campaign content changes."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from core.cache import public_pages_invalidate

from .models import Article, Campaign, GuideStep


@receiver([post_save, post_delete], sender=Article)
@receiver([post_save, post_delete], sender=GuideStep)
@receiver([post_save, post_delete], sender=Campaign)
def content_changed(**kwargs) -> None:
    # Now, and again once the change is committed: a page rendered in between (from the data
    # before the commit) must not stay cached as if it were current.
    public_pages_invalidate()
    transaction.on_commit(public_pages_invalidate)

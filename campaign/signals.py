"""Invalidate cached public pages whenever campaign content changes; keep an article's guide
text (for search) in step with its steps."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from core.cache import public_pages_invalidate

from .models import Article, Campaign, GuideStep, guide_text_refresh


@receiver([post_save, post_delete], sender=Article)
@receiver([post_save, post_delete], sender=GuideStep)
@receiver([post_save, post_delete], sender=Campaign)
def content_changed(**kwargs) -> None:
    # Now, and again once the change is committed: a page rendered in between (from the data
    # before the commit) must not stay cached as if it were current.
    public_pages_invalidate()
    transaction.on_commit(public_pages_invalidate)


@receiver(post_delete, sender=GuideStep)
def guide_step_deleted(instance: GuideStep, **kwargs) -> None:
    # A signal, not GuideStep.delete(): the admin's "delete selected" deletes a queryset,
    # which never calls a model's delete(), but sends this for every row.
    guide_text_refresh(instance.article_id)

"""Campaign content: campaigns, their articles per language, and the objection guide."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from core.images import image_validate, images_refresh

from .markdown import render_markdown

ALT_TEXT_NEEDED = _("Describe the image for people who cannot see it.")


class GoalKind(models.TextChoices):
    DONORS = "donors", _("new regular donors")
    AMOUNT = "amount", _("money raised, in euros")
    OBJECTIONS = "objections", _("people who objected")


class Campaign(models.Model):
    """One campaign, shared by its articles in every language (and so is its objection count)."""

    key = models.SlugField(_("key"), unique=True, help_text=_("Internal name, used in URLs."))
    name = models.CharField(_("name"), max_length=200)
    is_current = models.BooleanField(
        _("current campaign"), default=False, help_text=_("Shown on the home page.")
    )
    objection_count = models.PositiveIntegerField(_("people who objected"), default=0)
    # Where readers object directly (plain links: nothing is loaded from those sites).
    facebook_form_url = models.URLField(_("Facebook's objection form"), blank=True)
    instagram_form_url = models.URLField(_("Instagram's objection form"), blank=True)
    # Shown at the top of the campaign's articles that have no image of their own.
    hero_image = models.ImageField(
        _("hero image"), upload_to="campaigns/", blank=True, validators=[image_validate]
    )
    # One description per language (the campaign is shared by its articles in every language).
    hero_alt = models.JSONField(_("hero image alt text"), default=dict, blank=True)
    hero_variants = models.JSONField(default=dict, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # A goal the campaign page shows progress toward (campaign/goals.py counts it).
    goal_kind = models.CharField(_("goal"), max_length=12, choices=GoalKind.choices, blank=True)
    goal_target = models.PositiveIntegerField(
        _("goal figure"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    goal_starts_on = models.DateField(
        _("counting from"),
        null=True,
        blank=True,
        help_text=_("Gifts and objections from this day count. Empty: from the campaign's start."),
    )
    goal_ends_on = models.DateField(_("goal end date"), null=True, blank=True)
    # The figure reached before staff raised the goal, so the page can say it was reached.
    goal_reached_target = models.PositiveIntegerField(
        _("goal reached earlier"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"],
                condition=models.Q(is_current=True),
                name="campaign_single_current",
                violation_error_message=_("Only one campaign can be the current one."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        images_refresh(self, ("hero_image", "hero_variants"))

    def clean(self) -> None:
        missing = [str(name) for code, name in settings.LANGUAGES if not self.hero_alt.get(code)]
        if self.hero_image and missing:
            # On the image field: the admin edits the descriptions as one field per language.
            raise ValidationError({"hero_image": f"{ALT_TEXT_NEEDED} ({', '.join(missing)})"})
        if self.goal_kind and not self.goal_target:
            raise ValidationError({"goal_target": _("Give the goal a figure.")})
        if self.goal_target and not self.goal_kind:
            raise ValidationError({"goal_kind": _("Choose what the goal counts.")})
        if self.goal_starts_on and self.goal_ends_on and self.goal_ends_on < self.goal_starts_on:
            raise ValidationError({"goal_ends_on": _("The end date is before the start date.")})

    @property
    def has_goal(self) -> bool:
        return bool(self.goal_kind and self.goal_target)


class ArticleQuerySet(models.QuerySet):
    def published(self) -> "ArticleQuerySet":
        return self.filter(is_published=True, published_at__lte=timezone.now())


class Article(models.Model):
    """A page of text in one language; a campaign's article is its home page in that language."""

    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        related_name="articles",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        help_text=_("Set for the campaign's main article; leave empty for other articles."),
    )
    language = models.CharField(_("language"), max_length=5, choices=settings.LANGUAGES)
    translation_key = models.SlugField(
        _("translation key"),
        help_text=_("The same value for the versions of this article in other languages."),
    )
    slug = models.SlugField(_("slug"), max_length=120)
    title = models.CharField(_("title"), max_length=200)
    lead = models.TextField(_("lead"), help_text=_("One or two sentences under the title."))
    body = models.TextField(_("body"), help_text=_("Markdown."))
    body_html = models.TextField(editable=False, default="")
    guide_tips = models.TextField(
        _("tips after the guide"), blank=True, help_text=_("Markdown; shown after the steps.")
    )
    guide_tips_html = models.TextField(editable=False, default="")
    search_text = models.TextField(editable=False, default="")
    # The guide's steps and tips as plain text, for search (kept by guide_text_refresh).
    guide_text = models.TextField(editable=False, default="")
    hero_image = models.ImageField(
        _("hero image"),
        upload_to="articles/",
        blank=True,
        validators=[image_validate],
        help_text=_("Leave empty to show the campaign's image."),
    )
    hero_alt = models.CharField(_("hero image alt text"), max_length=250, blank=True)
    hero_variants = models.JSONField(default=dict, editable=False)
    is_published = models.BooleanField(_("published"), default=False)
    published_at = models.DateTimeField(_("publication date"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["-published_at"]
        constraints = [
            models.UniqueConstraint(fields=["language", "slug"], name="article_unique_slug"),
            models.UniqueConstraint(
                fields=["language", "translation_key"], name="article_unique_translation"
            ),
            models.UniqueConstraint(
                fields=["campaign", "language"],
                condition=models.Q(campaign__isnull=False),
                name="article_one_per_campaign_language",
            ),
        ]
        indexes = [models.Index(fields=["language", "is_published", "published_at"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.language})"

    def save(self, *args, **kwargs) -> None:
        self.body_html = render_markdown(self.body)
        self.guide_tips_html = render_markdown(self.guide_tips) if self.guide_tips else ""
        self.search_text = strip_tags(self.body_html)
        self.guide_text = self.guide_text_now()
        if kwargs.get("update_fields") is not None:
            derived = {"body_html", "guide_tips_html", "search_text", "guide_text"}
            kwargs["update_fields"] = {*kwargs["update_fields"], *derived}
        super().save(*args, **kwargs)
        images_refresh(self, ("hero_image", "hero_variants"))

    def get_absolute_url(self) -> str:
        with override(self.language):
            if self.campaign_id:
                return reverse("campaign:home")
            return reverse("campaign:article", kwargs={"slug": self.slug})

    def guide_text_now(self) -> str:
        """The guide's steps (titles and instructions) and the tips after them, as text."""
        parts = [strip_tags(self.guide_tips_html)] if self.guide_tips_html else []
        if self.pk:
            for title, html in self.steps.order_by("position", "id").values_list(
                "title", "instructions_html"
            ):
                parts += [title, strip_tags(html)]
        return "\n".join(parts)

    def hero(self) -> dict | None:
        """The image at the top: the article's own, else its campaign's; with its alt text."""
        if self.hero_variants:
            return {"variants": self.hero_variants, "alt": self.hero_alt}
        campaign = self.campaign
        if campaign is not None and campaign.hero_variants:
            return {
                "variants": campaign.hero_variants,
                "alt": campaign.hero_alt.get(self.language, ""),
            }
        return None

    def clean(self) -> None:
        if self.hero_image and not self.hero_alt.strip():
            raise ValidationError({"hero_alt": ALT_TEXT_NEEDED})


class GuideStep(models.Model):
    """One numbered step of an article's objection guide."""

    article = models.ForeignKey(
        Article, verbose_name=_("article"), related_name="steps", on_delete=models.CASCADE
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    title = models.CharField(_("title"), max_length=200)
    instructions = models.TextField(_("instructions"), help_text=_("Markdown."))
    instructions_html = models.TextField(editable=False, default="")
    image = models.ImageField(
        _("image"), upload_to="guide/", blank=True, validators=[image_validate]
    )
    image_alt = models.CharField(_("image alt text"), max_length=250, blank=True)
    image_variants = models.JSONField(default=dict, editable=False)

    class Meta:
        verbose_name = _("guide step")
        verbose_name_plural = _("guide steps")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.instructions_html = render_markdown(self.instructions)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "instructions_html"}
        super().save(*args, **kwargs)
        images_refresh(self, ("image", "image_variants"))
        guide_text_refresh(self.article_id)

    def clean(self) -> None:
        if self.image and not self.image_alt.strip():
            raise ValidationError({"image_alt": ALT_TEXT_NEEDED})


# The source a gift started on the giving page records (its other pages are articles, known by
# their translation key).
GIVING_PAGE = "giving"

# Link codes are typed from posters and read aloud: short, lower case, no look-alike trouble.
LINK_CODE_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")


class LinkTarget(models.TextChoices):
    GIFT_FORM = "give", _("the gift form")
    CAMPAIGN_PAGE = "page", _("the campaign page")


class GiftFrequency(models.TextChoices):
    """What a link may preset on the gift form (the gift form's own values)."""

    MONTHLY = "monthly", _("monthly")
    QUARTERLY = "quarterly", _("every quarter")
    YEARLY = "yearly", _("yearly")
    ONEOFF = "oneoff", _("one-off")


class CampaignLink(models.Model):
    """A short address (/d/<code>/) for a newsletter, a poster or a post.

    It leads to the campaign page or the gift form (amount, frequency and language preset) and
    every gift started from it records the link as its source. Nothing about the visitor is
    kept: the code travels in the address, not in a cookie.
    """

    code = models.CharField(
        _("code"),
        max_length=32,
        unique=True,
        validators=[
            RegexValidator(
                LINK_CODE_RE,
                _("Use up to 32 small letters, digits and hyphens; no hyphen at either end."),
            )
        ],
        help_text=_("The link becomes /d/CODE/, for example /d/newsletter-dec/."),
    )
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), related_name="links", on_delete=models.PROTECT
    )
    label = models.CharField(
        _("what it is for"), max_length=200, help_text=_("For example: December newsletter.")
    )
    target = models.CharField(
        _("leads to"), max_length=4, choices=LinkTarget.choices, default=LinkTarget.GIFT_FORM
    )
    language = models.CharField(
        _("language"), max_length=5, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    amount = models.PositiveIntegerField(
        _("amount preset, in euros"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Only for the gift form. Empty: the usual amount."),
    )
    frequency = models.CharField(
        _("frequency preset"),
        max_length=10,
        choices=GiftFrequency.choices,
        blank=True,
        help_text=_("Only for the gift form. Empty: the usual choice."),
    )
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_(
            "An inactive link still leads to the site, but gifts from it no longer count for it."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("campaign link")
        verbose_name_plural = _("campaign links")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.label} (/d/{self.code}/)"

    def get_absolute_url(self) -> str:
        return reverse("campaign_link", kwargs={"code": self.code})

    def clean(self) -> None:
        if self.target == LinkTarget.CAMPAIGN_PAGE and (self.amount or self.frequency):
            raise ValidationError(
                _("Amount and frequency are preset on the gift form only: let the link lead there.")
            )


def guide_text_refresh(article_id: int) -> None:
    """Write an article's guide text again after one of its steps changed."""
    article = Article.objects.filter(pk=article_id).first()
    if article is not None:
        Article.objects.filter(pk=article_id).update(guide_text=article.guide_text_now())

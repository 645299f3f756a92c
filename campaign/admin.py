from django import forms
from django.conf import settings
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from .models import Article, Campaign, GuideStep


def _alt_text_fields() -> dict[str, forms.CharField]:
    return {
        f"hero_alt_{code}": forms.CharField(
            label=format_lazy("{} ({})", _("hero image alt text"), _(name)),
            max_length=250,
            required=False,
        )
        for code, name in settings.LANGUAGES
    }


class CampaignFormBase(forms.ModelForm):
    """The hero image's alt text as one field per language (stored together in `hero_alt`)."""

    class Meta:
        model = Campaign
        fields = [
            "name",
            "key",
            "is_current",
            "facebook_form_url",
            "instagram_form_url",
            "hero_image",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for code, _name in settings.LANGUAGES:
            self.fields[f"hero_alt_{code}"].initial = self.instance.hero_alt.get(code, "")

    def clean(self) -> dict:
        data = super().clean()
        self.instance.hero_alt = {
            code: data.get(f"hero_alt_{code}", "").strip() for code, _name in settings.LANGUAGES
        }
        return data  # the model's clean() says which descriptions are missing


# Declared on the class (not added per instance), so the admin's fieldsets can name them.
CampaignForm = type("CampaignForm", (CampaignFormBase,), _alt_text_fields())


class GuideStepInline(admin.StackedInline):
    model = GuideStep
    extra = 0
    fields = ["position", "title", "instructions", "image", "image_alt"]
    ordering = ["position", "id"]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    form = CampaignForm
    list_display = ["name", "key", "is_current", "objection_count", "created_at"]
    list_filter = ["is_current"]
    search_fields = ["name", "key"]
    readonly_fields = ["objection_count", "created_at"]
    prepopulated_fields = {"key": ["name"]}

    def get_fieldsets(self, request, obj=None) -> list:
        alts = [f"hero_alt_{code}" for code, _name in settings.LANGUAGES]
        return [
            (None, {"fields": ["name", "key", "is_current", "objection_count", "created_at"]}),
            (_("Where to object"), {"fields": ["facebook_form_url", "instagram_form_url"]}),
            (_("Image"), {"fields": ["hero_image", *alts]}),
        ]


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "language", "campaign", "is_published", "published_at", "preview"]
    list_filter = ["language", "is_published", "campaign"]
    search_fields = ["title", "lead", "body", "slug", "translation_key"]
    date_hierarchy = "published_at"
    list_select_related = ["campaign"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["preview", "updated_at"]
    inlines = [GuideStepInline]
    fieldsets = [
        (None, {"fields": ["campaign", "language", "translation_key", "title", "slug", "lead"]}),
        (_("Text"), {"fields": ["body"]}),
        (_("Image"), {"fields": ["hero_image", "hero_alt"]}),
        (_("Publication"), {"fields": ["is_published", "published_at", "updated_at", "preview"]}),
    ]

    @admin.display(description=_("preview"))
    def preview(self, obj: Article) -> str:
        if not obj.pk:
            return "-"
        with override(obj.language):
            url = reverse("campaign:preview", kwargs={"pk": obj.pk})
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, _("Preview"))

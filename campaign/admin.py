from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from .models import Article, Campaign, GuideStep


class GuideStepInline(admin.StackedInline):
    model = GuideStep
    extra = 0
    fields = ["position", "title", "instructions", "image", "image_alt"]
    ordering = ["position", "id"]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "is_current", "objection_count", "created_at"]
    list_filter = ["is_current"]
    search_fields = ["name", "key"]
    readonly_fields = ["objection_count", "created_at"]
    prepopulated_fields = {"key": ["name"]}


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

import io

import segno
from django import forms
from django.conf import settings
from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from . import goals
from .models import Article, Campaign, CampaignLink, GuideStep

GOAL_FIELDS = ["goal_kind", "goal_target", "goal_starts_on", "goal_ends_on"]
# The donations app's permission to see the giving figures (named, not imported).
GOAL_PERMISSION = "donations.view_figures"


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
            "goal_kind",
            "goal_target",
            "goal_starts_on",
            "goal_ends_on",
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
            (
                _("Goal"),
                {
                    "fields": GOAL_FIELDS,
                    "description": _(
                        "The campaign page shows the progress toward the goal. Raise the "
                        "figure once it is reached: the page then says the first goal was met."
                    ),
                },
            ),
        ]

    def get_readonly_fields(self, request, obj=None) -> list:
        """A goal counts gifts and money: who may set one must be allowed to see the figures
        (a one-day goal would otherwise show a day's income on the public page)."""
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.has_perm(GOAL_PERMISSION):
            fields += GOAL_FIELDS
        return fields

    def save_model(self, request, obj: Campaign, form, change: bool) -> None:
        if change:
            goals.goal_raised(
                obj,
                kind_before=form.initial.get("goal_kind", ""),
                target_before=form.initial.get("goal_target"),
                starts_before=form.initial.get("goal_starts_on"),
            )
        super().save_model(request, obj, form, change)


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


QR_KINDS = {"svg": "image/svg+xml", "png": "image/png"}


class CampaignLinkForm(forms.ModelForm):
    class Meta:
        model = CampaignLink
        fields = [
            "campaign",
            "label",
            "code",
            "target",
            "language",
            "amount",
            "frequency",
            "is_active",
        ]

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip().lower()  # typed from a poster, read as such


@admin.register(CampaignLink)
class CampaignLinkAdmin(admin.ModelAdmin):
    form = CampaignLinkForm
    list_display = ["label", "code", "campaign", "target", "language", "is_active", "qr_codes"]
    list_filter = ["campaign", "is_active", "target", "language"]
    search_fields = ["label", "code"]
    list_select_related = ["campaign"]
    readonly_fields = ["address", "qr_codes", "created_at"]
    fields = [
        "campaign",
        "label",
        "code",
        "address",
        "target",
        "language",
        "amount",
        "frequency",
        "is_active",
        "qr_codes",
        "created_at",
    ]

    def get_urls(self) -> list:
        qr = self.admin_site.admin_view(self.qr_code)
        return [
            path("<int:pk>/qr.<str:kind>", qr, name="campaign_campaignlink_qr"),
            *super().get_urls(),
        ]

    @admin.display(description=_("address"))
    def address(self, obj: CampaignLink) -> str:
        return link_address(obj) if obj.pk else "-"

    @admin.display(description=_("QR code"))
    def qr_codes(self, obj: CampaignLink) -> str:
        if not obj.pk:
            return "-"
        svg, png = (
            reverse("admin:campaign_campaignlink_qr", kwargs={"pk": obj.pk, "kind": kind})
            for kind in ("svg", "png")
        )
        return format_html('<a href="{}">SVG</a> · <a href="{}">PNG</a>', svg, png)

    def qr_code(self, request: HttpRequest, pk: int, kind: str) -> HttpResponse:
        """The link's QR code, made here (segno), as SVG for print or PNG for anything else."""
        link = get_object_or_404(CampaignLink, pk=pk)
        if kind not in QR_KINDS or not self.has_view_permission(request, link):
            raise Http404
        buffer = io.BytesIO()
        # "Quartile" error correction: a poster's code still reads with a scratch or a fold.
        segno.make(link_address(link), error="q").save(buffer, kind=kind, scale=10, border=4)
        response = HttpResponse(buffer.getvalue(), content_type=QR_KINDS[kind])
        response["Content-Disposition"] = f'attachment; filename="link-{link.code}.{kind}"'
        return response


def link_address(link: CampaignLink) -> str:
    return f"{settings.PUBLIC_BASE_URL}{link.get_absolute_url()}"

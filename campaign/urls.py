from django.urls import path

from . import views

app_name = "campaign"

urlpatterns = [
    path("", views.home, name="home"),
    path("guide/", views.guide, name="guide"),
    path("search/", views.search, name="search"),
    path("search/count/", views.search_count, name="search_count"),
    path("giving/", views.giving_info, name="giving"),
    path("privacy/", views.privacy, name="privacy"),
    path("contact/", views.contact, name="contact"),
    path("articles/<slug:slug>/", views.article_detail, name="article"),
    path("preview/<int:pk>/", views.article_preview, name="preview"),
    path("campaigns/<slug:key>/objections/", views.objection_create, name="objection_create"),
    path("campaigns/<slug:key>/thanks/", views.objection_thanks, name="objection_thanks"),
    path("share/mastodon/", views.share_mastodon, name="share_mastodon"),
]

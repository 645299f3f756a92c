"""Uploaded images become web sizes in modern formats at upload, without their metadata."""

import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import override
from PIL import Image

from campaign.models import Campaign
from core.images import image_validate

from .factories import make_article, make_campaign_with_articles

pytestmark = pytest.mark.django_db


def photo(width=2000, height=1000, gps=True) -> bytes:
    image = Image.new("RGB", (width, height), "#3a7")
    exif = Image.Exif()
    if gps:
        exif[0x8825] = {2: (52.0, 22.0, 0.0)}  # GPSInfo: where the photo was taken
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_an_upload_is_made_into_sizes_and_formats_without_metadata():
    article = make_article(slug="with-photo")
    article.hero_image.save("holiday.jpg", ContentFile(photo()), save=False)
    article.hero_alt = "A green field"
    article.save()
    article.refresh_from_db()
    files = article.hero_variants["files"]
    assert set(files) == {"avif", "webp", "jpeg"}
    assert [w for w, _name in files["avif"]] == [480, 800, 1200, 1600]
    assert (article.hero_variants["width"], article.hero_variants["height"]) == (1600, 800)
    with default_storage.open(files["avif"][0][1]) as stored, Image.open(stored) as small:
        assert small.format == "AVIF" and small.size == (480, 240)
    with default_storage.open(article.hero_image.name) as stored, Image.open(stored) as kept:
        assert not kept.getexif()  # the original no longer says where it was taken


def test_a_small_image_is_not_enlarged():
    article = make_article(slug="small")
    article.hero_image.save("small.png", ContentFile(photo(600, 300, gps=False)), save=False)
    article.hero_alt = "Small"
    article.save()
    assert [w for w, _n in article.hero_variants["files"]["jpeg"]] == [480, 600]


def test_pages_offer_the_sizes_with_dimensions(client):
    campaign = make_campaign_with_articles()
    campaign.hero_image.save("wall.png", ContentFile(photo(gps=False)), save=False)
    campaign.hero_alt = {"nl": "Een muur", "en": "A wall"}
    campaign.save()
    html = client.get("/en/").content.decode()
    picture = re.search(r"<picture>.*?</picture>", html).group()
    assert '<source type="image/avif" srcset="/media/campaigns/sizes/' in picture
    assert 'type="image/webp"' in picture
    assert 'width="1600" height="800" alt="A wall"' in picture
    assert 'fetchpriority="high"' in picture and "loading=" not in picture
    assert 'alt="Een muur"' in client.get("/nl/").content.decode()


def test_replacing_an_image_removes_the_old_sizes():
    campaign = make_campaign_with_articles()
    campaign.hero_image.save("one.png", ContentFile(photo(gps=False)), save=False)
    campaign.save()
    old = [name for sizes in campaign.hero_variants["files"].values() for _w, name in sizes]
    campaign.hero_image.save("two.png", ContentFile(photo(900, 900, gps=False)), save=False)
    campaign.save()
    assert not any(default_storage.exists(name) for name in old)
    assert Campaign.objects.get().hero_variants["width"] == 900


def test_a_file_that_is_no_image_is_refused_with_a_message():
    with override("en"), pytest.raises(ValidationError, match="cannot be used as an image"):
        image_validate(io.BytesIO(b"GIF89a but not really"))


def test_the_campaign_image_needs_alt_text_in_every_language():
    campaign = make_campaign_with_articles()
    campaign.hero_image = "campaigns/x.png"
    campaign.hero_alt = {"nl": "Een muur"}
    with pytest.raises(ValidationError):
        campaign.clean()


def test_the_admin_asks_for_a_missing_description_instead_of_failing(admin_client):
    campaign = make_campaign_with_articles()
    response = admin_client.post(
        f"/admin/campaign/campaign/{campaign.pk}/change/",
        {
            "name": campaign.name,
            "key": campaign.key,
            "hero_image": SimpleUploadedFile("wall.png", photo(800, 400, gps=False)),
            "hero_alt_nl": "Een muur",
            "hero_alt_en": "",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "Describe the image for people who cannot see it. (English)" in response.content.decode()
    assert not Campaign.objects.get().hero_image


def test_the_admin_saves_a_campaign_image_with_a_description_per_language(admin_client):
    campaign = make_campaign_with_articles()
    page = f"/admin/campaign/campaign/{campaign.pk}/change/"
    assert admin_client.get(page).status_code == 200
    response = admin_client.post(
        page,
        {
            "name": campaign.name,
            "key": campaign.key,
            "hero_image": SimpleUploadedFile("wall.png", photo(800, 400, gps=False)),
            "hero_alt_nl": "Een muur",
            "hero_alt_en": "A wall",
        },
    )
    assert response.status_code == 302
    saved = Campaign.objects.get()
    assert saved.hero_alt == {"nl": "Een muur", "en": "A wall"}
    assert saved.hero_variants["width"] == 800

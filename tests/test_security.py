"""Site-wide security settings: the deployment checks and security.txt."""

import pytest

from core import checks

pytestmark = pytest.mark.django_db


def test_deploy_check_wants_an_https_public_url(settings):
    settings.PUBLIC_BASE_URL = ""
    assert [e.id for e in checks.public_base_url_check(None)] == ["core.E001"]
    settings.PUBLIC_BASE_URL = "http://gifts.example.org"
    assert [e.id for e in checks.public_base_url_check(None)] == ["core.E001"]
    settings.PUBLIC_BASE_URL = "https://gifts.example.org"
    assert checks.public_base_url_check(None) == []


def test_security_txt_follows_rfc_9116(client, settings):
    settings.PUBLIC_BASE_URL = "https://gifts.example.org"
    settings.SECURITY_CONTACT = "mailto:security@example.org"
    response = client.get("/.well-known/security.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    fields = dict(line.split(": ", 1) for line in response.content.decode().splitlines())
    assert fields["Contact"] == "mailto:security@example.org"
    assert fields["Canonical"] == "https://gifts.example.org/.well-known/security.txt"
    assert fields["Expires"].startswith("2027-06-15T")  # a year from the tests' fixed clock
    assert not response.cookies

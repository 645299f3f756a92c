"""Site-wide security settings: the deployment checks, security.txt and NUL bytes. The
defences against each attacker are tested in tests/security/."""

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


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("get", "/en/search/", {"q": "\x00"}),
        ("get", "/en/donate/return/ab%00cd/", {}),
        ("post", "/mollie/webhook/", {"id": "tr_\x00"}),
        ("post", "/en/supporters/login/", {"email": "a\x00@example.org"}),
    ],
)
def test_nul_bytes_anywhere_get_a_400(client, method, path, data):
    """Found by the fuzz test on PostgreSQL: a NUL in a search term or token was a 500."""
    response = getattr(client, method)(path, data)
    assert response.status_code == 400
    assert b"NUL" in response.content


def test_the_benchmark_reference_view_is_off_and_a_deploy_check_names_it(client, settings):
    from core import checks

    assert client.post("/mollie/reference/", {"id": "tr_0000000000"}).status_code == 404
    assert checks.benchmark_view_check(None) == []
    settings.BENCHMARK_REFERENCE_VIEW = True
    assert [w.id for w in checks.benchmark_view_check(None)] == ["core.W014"]

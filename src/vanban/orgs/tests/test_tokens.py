"""`Authorization: Token <key>` authentication and the `token` management command."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from vanban.orgs import services
from vanban.orgs.models import Agency, PersonalToken

ME = "/api/v1/people/me/"


def token_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_token_authenticates(province):
    token, key = services.create_token(province.clerk_a, province.clerk_a, "test")
    r = token_client(key).get(ME)
    assert r.status_code == 200
    assert r.data["username"] == "vanthu.a" and r.data["roles"] == ["clerk"]
    assert r.data["agency"] == province.a.pk
    assert "password" not in r.data
    assert PersonalToken.objects.get(pk=token.pk).last_used_at is not None


def test_keyword_is_case_insensitive(province):
    _token, key = services.create_token(None, province.clerk_a)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"token {key}")
    assert client.get(ME).status_code == 200


def test_last_used_is_written_at_most_once_a_minute(province):
    token, key = services.create_token(None, province.clerk_a)
    client = token_client(key)
    client.get(ME)
    first = PersonalToken.objects.get(pk=token.pk).last_used_at
    client.get(ME)
    assert PersonalToken.objects.get(pk=token.pk).last_used_at == first
    PersonalToken.objects.filter(pk=token.pk).update(last_used_at=first - dt.timedelta(minutes=5))
    client.get(ME)
    assert PersonalToken.objects.get(pk=token.pk).last_used_at > first - dt.timedelta(seconds=1)


def test_token_needs_no_csrf_for_writes(province):
    _token, key = services.create_token(None, province.superuser)
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    r = client.post(
        "/api/v1/agencies/",
        {
            "code": "82-SYT",
            "identifier": "000.00.16.H58",
            "name": "Sở Y tế tỉnh Tiền Giang",
            "short_name": "Sở YT",
            "notation": "SYT",
            "kind": "department",
            "parent": province.root.pk,
        },
        format="json",
    )
    assert r.status_code == 201, r.data
    assert Agency.objects.filter(code="82-SYT").exists()


def test_revoked_token_is_refused(province):
    token, key = services.create_token(None, province.clerk_a)
    client = token_client(key)
    assert client.get(ME).status_code == 200
    services.revoke_token(province.clerk_a, token)
    r = client.get(ME)
    assert r.status_code == 401
    assert r["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize(
    "header",
    [
        "Token vb_unknown",
        "Token ",
        "Token",
        "Token vb_a vb_b",
        "Token vb_\u00e9t\u00e9",
        "Basic dmFudGh1LmE6VGVzdC1QYXNzdzByZC0yMDI2",
        "Bearer vb_x",
    ],
)
def test_bad_headers_are_refused(province, header):
    services.create_token(None, province.clerk_a)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert client.get(ME).status_code == 401


def test_key_hash_is_not_a_key(province):
    """Whoever reads the table cannot use what is stored."""
    token, _key = services.create_token(None, province.clerk_a)
    assert token_client(token.key_hash).get(ME).status_code == 401
    assert token_client(token.prefix).get(ME).status_code == 401


def test_disabled_account_is_refused(province):
    _token, key = services.create_token(None, province.clerk_a)
    services.update_person(None, province.clerk_a, is_active=False)
    assert token_client(key).get(ME).status_code == 401


def test_no_credentials(province):
    r = APIClient().get(ME)
    assert r.status_code == 401
    assert r["WWW-Authenticate"] == "Token"


def test_token_command_prints_a_working_token(province):
    out = io.StringIO()
    call_command("token", "vanthu.a", "--name", "máy chủ tích hợp", stdout=out)
    key = out.getvalue().strip()
    assert key.startswith("vb_") and "\n" not in key
    token = PersonalToken.objects.get(person=province.clerk_a)
    assert token.name == "máy chủ tích hợp" and token.key_hash == PersonalToken.hash_key(key)
    r = token_client(key).get(ME)
    assert r.status_code == 200 and r.data["username"] == "vanthu.a"


def test_token_command_unknown_user(province):
    with pytest.raises(CommandError):
        call_command("token", "khong.co", stdout=io.StringIO())
    assert not PersonalToken.objects.exists()


def test_token_command_disabled_user(province):
    services.update_person(None, province.clerk_a, is_active=False)
    with pytest.raises(CommandError):
        call_command("token", "vanthu.a", stdout=io.StringIO())
    assert not PersonalToken.objects.exists()


def test_session_still_works_for_the_api(province, client):
    client.force_login(province.clerk_a)
    r = client.get(ME)
    assert r.status_code == 200 and r.json()["username"] == "vanthu.a"

"""Static files in demo mode, where DEBUG is off and collectstatic never ran."""

from django.conf import settings


def test_admin_stylesheet_served(client):
    response = client.get(f"{settings.STATIC_URL}admin/css/base.css")
    assert response.status_code == 200
    assert b"body" in b"".join(response.streaming_content)


def test_debug_off_by_default():
    assert settings.DEBUG is False

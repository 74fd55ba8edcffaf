"""Hostile theme values and bad uploads, through the model, the admin form and the API."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from stylerec_plugin.models import Style

from .conftest import jpeg_bytes

pytestmark = pytest.mark.django_db

HOSTILE_COLOURS = [
    "red;}</style><script>alert(1)</script>",
    '#fff" onload="alert(1)',
    "expression(alert(1))",
    "#12345",
    "#1234567",
    "#12345g",
    "#123456\n",
    "#１２３４５６",  # full-width digits look like hex to a person
    "#12\u200b3456",  # zero-width space
    "javascript:alert(1)",
    "",
]
HOSTILE_FONTS = ['serif;}</style><script>x</script>', 'Georgia", evil', "system ", "SERIF", "expression(1)"]


def style_form_data(**overrides) -> dict:
    data = {
        "name": "Wave",
        "slug": "wave",
        "description": "",
        "kind": "preset",
        "is_active": "on",
        "sort_order": "0",
        "preset_weights": '{"19": 1}',
        "strength": "1.0",
        "quality_floor": "",
        "theme_primary": "#1f4e79",
        "theme_accent": "#e07a2f",
        "theme_background": "#f7f5f2",
        "theme_surface": "#ffffff",
        "theme_text": "#1d1d1f",
        "theme_font": "system",
        # The translations inline's management form (no translation rows).
        "translations-TOTAL_FORMS": "0",
        "translations-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-123")
    client.force_login(user)
    return client


@pytest.fixture
def staff_api():
    user = get_user_model().objects.create_user("staff", password="pw-staff-123", is_staff=True)
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.mark.parametrize("value", HOSTILE_COLOURS)
def test_model_refuses_hostile_colours(value):
    style = Style(name="Wave", slug="wave", kind="preset", preset_weights={"19": 1}, theme_primary=value)
    with pytest.raises(ValidationError) as error:
        style.full_clean()
    assert "theme_primary" in error.value.message_dict


@pytest.mark.parametrize("value", HOSTILE_FONTS)
def test_model_refuses_fonts_outside_the_list(value):
    style = Style(name="Wave", slug="wave", kind="preset", preset_weights={"19": 1}, theme_font=value)
    with pytest.raises(ValidationError) as error:
        style.full_clean()
    assert "theme_font" in error.value.message_dict


@pytest.mark.parametrize("value", HOSTILE_COLOURS[:6])
def test_admin_form_refuses_hostile_colours_with_a_clear_error(admin_client, value):
    response = admin_client.post("/admin/stylerec_plugin/style/add/", style_form_data(theme_accent=value))
    assert response.status_code == 200  # the form again, not a redirect
    assert not Style.objects.exists()
    errors = response.context["adminform"].form.errors
    assert "theme_accent" in errors


@pytest.mark.parametrize("value", HOSTILE_FONTS)
def test_admin_form_refuses_hostile_fonts(admin_client, value):
    response = admin_client.post("/admin/stylerec_plugin/style/add/", style_form_data(theme_font=value))
    assert not Style.objects.exists()
    assert "theme_font" in response.context["adminform"].form.errors


def test_admin_form_accepts_a_good_theme(admin_client):
    response = admin_client.post("/admin/stylerec_plugin/style/add/", style_form_data(theme_primary="#AABBCC"))
    assert response.status_code == 302
    assert Style.objects.get().theme_primary == "#AABBCC"


@pytest.mark.parametrize("value", HOSTILE_COLOURS)
def test_api_refuses_hostile_colours(staff_api, value):
    payload = {"name": "Wave", "slug": "wave", "kind": "preset", "preset_weights": {"19": 1}, "theme_surface": value}
    response = staff_api.post("/stylerec/api/styles/", payload, format="json")
    if value.strip() != value and response.status_code == 201:
        # DRF trims surrounding whitespace; what is stored is then a clean colour.
        assert Style.objects.get().theme_surface == value.strip()
        return
    if value.strip() != value and "theme_text" in response.json():
        # The trimmed colour is dark: the default text would be unreadable on it (contrast check).
        assert not Style.objects.exists()
        return
    assert response.status_code == 400
    assert "theme_surface" in response.json()
    assert not Style.objects.exists()


@pytest.mark.parametrize("value", HOSTILE_FONTS)
def test_api_refuses_hostile_fonts(staff_api, wave, value):
    response = staff_api.patch(f"/stylerec/api/styles/{wave.slug}/", {"theme_font": value}, format="json")
    assert response.status_code == 400
    wave.refresh_from_db()
    assert wave.theme_font == "serif"


# --- uploads ----------------------------------------------------------------------------


def png_bytes(size=(32, 32)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (1, 2, 3)).save(buffer, "PNG")
    return buffer.getvalue()


def reference_upload(admin_client, upload) -> tuple[int, dict]:
    data = style_form_data(kind="reference", preset_weights="{}", reference_image=upload)
    response = admin_client.post("/admin/stylerec_plugin/style/add/", data)
    errors = response.context["adminform"].form.errors if response.status_code == 200 else {}
    return response.status_code, errors


def test_admin_accepts_a_real_image(admin_client, media_root):
    status, errors = reference_upload(admin_client, SimpleUploadedFile("ref.jpg", jpeg_bytes(), "image/jpeg"))
    assert status == 302, errors
    assert Style.objects.get().reference_image.name.startswith("stylerec/styles/")


@pytest.mark.parametrize(
    "filename, content",
    [
        ("notes.jpg", b"this is not an image at all"),
        ("page.png", b"<html><script>alert(1)</script></html>"),
        ("truncated.jpg", jpeg_bytes()[:40]),
    ],
)
def test_admin_refuses_non_images(admin_client, media_root, filename, content):
    status, errors = reference_upload(admin_client, SimpleUploadedFile(filename, content, "image/jpeg"))
    assert status == 200 and "reference_image" in errors
    assert not Style.objects.exists()


def test_admin_refuses_oversize_files_with_the_limit_in_the_message(admin_client, media_root, settings):
    settings.STYLEREC = {**settings.STYLEREC, "MAX_UPLOAD_BYTES": 500}
    big = png_bytes((400, 400))
    assert len(big) > 500
    status, errors = reference_upload(admin_client, SimpleUploadedFile("big.png", big, "image/png"))
    assert status == 200
    assert "limit" in " ".join(errors["reference_image"])


def test_admin_refuses_too_many_pixels(admin_client, media_root, settings):
    settings.STYLEREC = {**settings.STYLEREC, "MAX_UPLOAD_PIXELS": 100 * 100}
    status, errors = reference_upload(admin_client, SimpleUploadedFile("wide.png", png_bytes((200, 200)), "image/png"))
    assert status == 200
    assert "pixels" in " ".join(errors["reference_image"])


def test_api_refuses_non_image_uploads(staff_api, media_root):
    upload = SimpleUploadedFile("ref.jpg", b"GIF89a but not really", "image/jpeg")
    response = staff_api.post(
        "/stylerec/api/styles/",
        {"name": "Ref", "slug": "ref", "kind": "reference", "reference_image": upload},
        format="multipart",
    )
    assert response.status_code == 400
    assert "reference_image" in response.json()
    assert not Style.objects.exists()


def test_api_accepts_a_reference_image(staff_api, media_root):
    upload = SimpleUploadedFile("ref.png", png_bytes(), "image/png")
    response = staff_api.post(
        "/stylerec/api/styles/",
        {"name": "Ref", "slug": "ref", "kind": "reference", "reference_image": upload},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert Style.objects.get().reference_hash


def test_product_photo_uploads_are_checked_too(admin_client, media_root, category):
    response = admin_client.post(
        "/admin/catalog/product/add/",
        {
            "name": "Mug",
            "slug": "mug",
            "price": "3.00",
            "category": category.pk,
            "description": "",
            "image": SimpleUploadedFile("mug.jpg", b"nope", "image/jpeg"),
        },
    )
    assert response.status_code == 200
    assert "image" in response.context["adminform"].form.errors

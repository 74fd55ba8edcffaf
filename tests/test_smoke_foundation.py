import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_admin_index_renders_for_staff(admin_client):
    response = admin_client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert b"StyleRec" in response.content

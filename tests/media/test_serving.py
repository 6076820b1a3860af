"""GET /api/v1/media/<id>[/thumbnail]: clean bytes, safe headers, and only for who may see them."""
from __future__ import annotations

import io

import pytest
from PIL import ExifTags, Image, PngImagePlugin

from backend.extensions import db
from backend.media import service
from backend.media.models import MediaFile
from tests.factories import login, make_geography, make_staff, make_user
from tests.media import images
from tests.media.helpers import post_photo


def upload(client, headers, data: bytes, **kw) -> dict:
    response = post_photo(client, headers, data, **kw)
    assert response.status_code == 201, response.json
    return response.json


def test_exif_and_gps_are_gone_and_orientation_applied(client):
    original = Image.open(io.BytesIO(images.sideways_jpeg_with_gps()))
    assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo) and original.info.get("comment")  # the test file has them
    headers = login(client, "alice")
    photo = upload(client, headers, images.sideways_jpeg_with_gps())

    for url in (photo["url"], photo["thumbnail_url"]):
        served = Image.open(io.BytesIO(client.get(url, headers=headers).data))
        assert dict(served.getexif()) == {}
        assert not {"exif", "comment", "xmp", "icc_profile"} & served.info.keys()
        width, height = served.size
        assert height == 2 * width  # upright: 40×80 became portrait
        top, bottom = served.getpixel((width // 2, height // 4)), served.getpixel((width // 2, 3 * height // 4))
        assert top[0] > 180 and top[2] < 80 and bottom[2] > 180  # red on top, blue below
    assert (photo["width"], photo["height"]) == (40, 80)


def test_png_metadata_is_gone(client):
    headers = login(client, "alice")
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "家住 3 幢 502")
    data = images.png(color=(1, 2, 3, 100), mode="RGBA", exif=images.gps_exif(), pnginfo=text)
    photo = upload(client, headers, data, filename="a.png", content_type="image/png")

    served = Image.open(io.BytesIO(client.get(photo["url"], headers=headers).data))
    assert served.format == "PNG" and dict(served.getexif()) == {}
    assert not {"exif", "Comment"} & served.info.keys()


def test_bytes_are_served_with_safe_headers(client):
    headers = login(client, "alice")
    photo = upload(client, headers, images.webp())

    for url in (photo["url"], photo["thumbnail_url"]):
        response = client.get(url, headers=headers)
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "image/jpeg"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"].startswith("private")
        assert Image.open(io.BytesIO(response.data)).format == "JPEG"


@pytest.fixture
def photo_of_alice(client):
    headers = login(client, "alice")
    return upload(client, headers, images.jpeg())


def test_a_photo_attached_to_nothing_is_seen_by_its_uploader_only(client, photo_of_alice):
    geography = make_geography()
    make_staff("worker-1", geography.grids[0])
    make_user("admin", roles=(("district_admin", "district", geography.district.id),))

    for openid, status in (("alice", 200), ("worker-1", 404), ("admin", 404)):
        headers = login(client, openid)
        for url in (photo_of_alice["url"], photo_of_alice["thumbnail_url"]):
            assert client.get(url, headers=headers).status_code == status, (openid, url)


def test_another_resident_gets_the_same_404_as_for_a_missing_photo(client, photo_of_alice):
    headers = login(client, "bob")

    for url in (photo_of_alice["url"], photo_of_alice["thumbnail_url"]):
        response = client.get(url, headers=headers)
        missing = client.get(url.replace(f"/{photo_of_alice['id']}", f"/{photo_of_alice['id'] + 1000}"),
                             headers=headers)
        assert response.status_code == missing.status_code == 404
        assert response.json == missing.json and response.json["reason"] == "media_not_found"


def test_anonymous_gets_401(client, photo_of_alice):
    for url in (photo_of_alice["url"], photo_of_alice["thumbnail_url"]):
        response = client.get(url)
        assert response.status_code == 401 and response.json["reason"] == "unauthorized"


def test_what_a_photo_is_attached_to_decides_for_everyone_else(client, monkeypatch, photo_of_alice):
    """The extension point: the attached object's registered viewer, and nobody for an unregistered type."""
    monkeypatch.setattr(service, "_attachment_viewers", {})
    service.register_attachment_viewer("notice", lambda actor, notice_id: notice_id == 7)
    with pytest.raises(ValueError):
        service.register_attachment_viewer("notice", lambda actor, notice_id: True)
    media = db.session.get(MediaFile, photo_of_alice["id"])
    headers = login(client, "bob")

    for attached_type, attached_id, status in (("notice", 8, 404), ("notice", 7, 200), ("poster", 7, 404)):
        media.attached_type, media.attached_id = attached_type, attached_id
        db.session.commit()
        for url in (photo_of_alice["url"], photo_of_alice["thumbnail_url"]):
            assert client.get(url, headers=headers).status_code == status, (attached_type, attached_id, url)
    assert client.get(photo_of_alice["url"], headers=login(client, "alice")).status_code == 200


def test_behind_nginx_the_api_authorises_and_nginx_sends_the_file(make_app):
    app = make_app(MEDIA_ACCEL_REDIRECT="/protected-media/")
    with app.app_context():
        client = app.test_client()
        headers = login(client, "alice")
        photo = upload(client, headers, images.jpeg())
        served = client.get(photo["url"], headers=headers)
        stored = db.session.get(MediaFile, photo["id"])
        assert served.status_code == 200 and served.data == b""
        assert served.headers["X-Accel-Redirect"] == f"/protected-media/{stored.storage_key}"
        assert served.headers["Content-Type"] == stored.content_type
        refused = client.get(photo["url"], headers=login(client, "mallory"))
        assert refused.status_code == 404 and "X-Accel-Redirect" not in refused.headers

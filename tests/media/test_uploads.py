"""POST /api/v1/uploads: what is accepted, what is refused, and what is stored."""
from __future__ import annotations

import io
import time

import pytest
from PIL import Image

from tests.factories import login
from tests.media import images
from tests.media.helpers import media_rows, multipart, post_photo, stored_files


def assert_error(response, status: int, reason: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.json
    assert body["code"] == status and body["reason"] == reason
    assert body["message"] and body["status"]


@pytest.mark.parametrize("data, filename, declared", [
    (images.jpeg(), "a.jpg", "image/jpeg"),
    (images.png(), "a.png", "image/png"),
    (images.webp(), "a.webp", "image/webp"),
    (images.jpeg(), "a.gif", "image/gif"),  # the content decides, not the name or declared type
])
def test_photo_is_stored_and_described(app, client, data, filename, declared):
    headers = login(client, "alice")
    response = post_photo(client, headers, data, filename, declared)

    assert response.status_code == 201, response.json
    body = response.json
    assert body["url"] == f"/api/v1/media/{body['id']}"
    assert body["thumbnail_url"] == f"/api/v1/media/{body['id']}/thumbnail"
    assert (body["width"], body["height"], body["content_type"]) == (64, 48, "image/jpeg")
    [row] = media_rows()
    assert row.id == body["id"] and row.size == body["size"] and row.attached_type is None
    files = stored_files(app)
    assert len(files) == 2 and all(f.suffix == ".jpg" for f in files)
    assert filename not in {f.name for f in files}
    served = client.get(body["url"], headers=headers)
    assert served.status_code == 200 and len(served.data) == body["size"]


def test_transparent_png_stays_png(client):
    headers = login(client, "alice")
    response = post_photo(client, headers, images.png(color=(10, 20, 30, 128), mode="RGBA"), "a.png", "image/png")

    assert response.status_code == 201, response.json
    assert response.json["content_type"] == "image/png"
    served = client.get(response.json["url"], headers=headers)
    assert served.mimetype == "image/png"
    assert Image.open(io.BytesIO(served.data)).getpixel((0, 0)) == (10, 20, 30, 128)


def test_large_photo_is_capped_and_thumbnail_is_small(client):
    headers = login(client, "alice")
    response = post_photo(client, headers, images.jpeg((3200, 1600)))

    assert response.status_code == 201, response.json
    assert (response.json["width"], response.json["height"]) == (2560, 1280)
    photo = client.get(response.json["url"], headers=headers)
    thumbnail = client.get(response.json["thumbnail_url"], headers=headers)
    assert Image.open(io.BytesIO(photo.data)).size == (2560, 1280)
    assert Image.open(io.BytesIO(thumbnail.data)).size == (320, 160)
    assert len(thumbnail.data) < len(photo.data)


@pytest.mark.parametrize("data, filename, declared", [
    (images.gif(), "a.gif", "image/gif"),
    (images.gif(), "photo.jpg", "image/jpeg"),  # a GIF dressed up as a JPEG
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "a.svg", "image/svg+xml"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "photo.png", "image/png"),
    (b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", "a.pdf", "application/pdf"),
    (b"just some text", "a.txt", "text/plain"),
    (b"<html><script>alert(1)</script></html>", "photo.webp", "image/webp"),
    (b"", "empty.jpg", "image/jpeg"),
])
def test_other_types_are_refused(client, nothing_stored, data, filename, declared):
    response = post_photo(client, login(client, "alice"), data, filename, declared)

    assert_error(response, 415, "unsupported_media_type")


@pytest.mark.parametrize("data", [
    b"\xff\xd8\xff\xe0<html><script>alert(1)</script></html>",  # a JPEG signature on something else
    images.jpeg((400, 300))[:600],  # cut short
    b"\x89PNG\r\n\x1a\n" + b"\0" * 64,
])
def test_files_that_only_look_like_photos_are_refused(client, nothing_stored, data):
    response = post_photo(client, login(client, "alice"), data)

    assert_error(response, 422, "image_undecodable")


def test_payload_appended_to_a_real_jpeg_is_not_kept(client):
    headers = login(client, "alice")
    response = post_photo(client, headers, images.jpeg() + b"<html><script>alert(1)</script></html>")

    assert response.status_code == 201, response.json
    assert b"<script" not in client.get(response.json["url"], headers=headers).data


def test_file_over_the_upload_limit_is_413(client, nothing_stored):
    too_big = images.jpeg() + b"\0" * (5 * 1024 * 1024)

    response = post_photo(client, login(client, "alice"), too_big)

    assert_error(response, 413, "file_too_large")


@pytest.mark.parametrize("idempotency_key", [None, "k-1"])
def test_body_over_max_content_length_is_413_json(client, nothing_stored, idempotency_key):
    headers = login(client, "alice")
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key

    response = post_photo(client, headers, images.jpeg() + b"\0" * (9 * 1024 * 1024))

    assert_error(response, 413, "payload_too_large")


@pytest.mark.parametrize("data", [
    images.png_claiming(50_000, 50_000),
    images.jpeg_claiming(60_000, 60_000),
    images.png_claiming(10_000, 9_000),  # past the default 40 MP cap, below Pillow's own bomb limits
])
def test_pixel_bomb_is_refused_from_its_header(client, nothing_stored, data):
    headers = login(client, "alice")
    started = time.perf_counter()

    response = post_photo(client, headers, data)

    assert_error(response, 422, "image_too_large")
    assert time.perf_counter() - started < 1.0


def test_pixel_limit_comes_from_config(make_app):
    app = make_app(UPLOAD_MAX_PIXELS=10_000)
    with app.app_context():
        client = app.test_client()
        headers = login(client, "alice")
        assert_error(post_photo(client, headers, images.jpeg((200, 200))), 422, "image_too_large")
        assert post_photo(client, headers, images.jpeg((100, 100))).status_code == 201


def test_missing_file_field_is_422(client, nothing_stored):
    headers = login(client, "alice")

    response = post_photo(client, headers, images.jpeg(), field="photo")

    assert_error(response, 422, "validation_error")
    assert "file" in response.json["errors"]["files"]


def test_anonymous_upload_is_401(client, nothing_stored):
    assert_error(post_photo(client, None, images.jpeg()), 401, "unauthorized")


# --- Idempotency-Key ----------------------------------------------------------------------------

def test_resent_upload_with_the_same_key_creates_one_photo(client):
    headers = {**login(client, "alice"), "Idempotency-Key": "upload-1"}
    body, content_type = multipart(images.jpeg(), boundary="the-same-boundary")

    first = client.post("/api/v1/uploads", headers=headers, data=body, content_type=content_type)
    second = client.post("/api/v1/uploads", headers=headers, data=body, content_type=content_type)

    assert first.status_code == second.status_code == 201, second.json
    assert second.json == first.json
    assert second.headers["Idempotent-Replayed"] == "true"
    assert len(media_rows()) == 1


def test_same_key_with_another_file_is_422(client):
    headers = {**login(client, "alice"), "Idempotency-Key": "upload-1"}
    body, content_type = multipart(images.jpeg(), boundary="the-same-boundary")
    other, _ = multipart(images.jpeg(color=(0, 0, 0)), boundary="the-same-boundary")

    assert client.post("/api/v1/uploads", headers=headers, data=body, content_type=content_type).status_code == 201
    response = client.post("/api/v1/uploads", headers=headers, data=other, content_type=content_type)

    assert_error(response, 422, "idempotency_key_reused")
    assert len(media_rows()) == 1


def test_retry_with_a_fresh_multipart_encoding_creates_one_photo(client):
    headers = {**login(client, "alice"), "Idempotency-Key": "upload-1"}
    photo = images.jpeg()
    first, content_type = multipart(photo, boundary="boundary-of-the-first-try")
    retry, retry_type = multipart(photo, boundary="boundary-of-the-retry")

    assert client.post("/api/v1/uploads", headers=headers, data=first, content_type=content_type).status_code == 201
    response = client.post("/api/v1/uploads", headers=headers, data=retry, content_type=retry_type)

    assert response.status_code == 201, response.json
    assert len(media_rows()) == 1

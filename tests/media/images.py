"""Builders for the image bytes the media tests upload."""
from __future__ import annotations

import io
import struct
import zlib

from PIL import ExifTags, Image


def encode(image: Image.Image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def jpeg(size: tuple[int, int] = (64, 48), color=(200, 40, 40), **params) -> bytes:
    return encode(Image.new("RGB", size, color), "JPEG", **params)


def png(size: tuple[int, int] = (64, 48), color=(40, 200, 40), mode: str = "RGB", **params) -> bytes:
    return encode(Image.new(mode, size, color), "PNG", **params)


def webp(size: tuple[int, int] = (64, 48), color=(40, 40, 200)) -> bytes:
    return encode(Image.new("RGB", size, color), "WEBP")


def gif(size: tuple[int, int] = (64, 48)) -> bytes:
    return encode(Image.new("P", size, 1), "GIF")


def gps_exif(orientation: int = 1) -> Image.Exif:
    """EXIF with a camera, an orientation and a GPS position (in 苏州)."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "LinliCam"
    exif[ExifTags.Base.Orientation] = orientation
    exif.get_ifd(ExifTags.IFD.GPSInfo).update({
        ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (31.0, 18.0, 5.0),
        ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (120.0, 36.0, 7.0),
    })
    return exif


def sideways_jpeg_with_gps() -> bytes:
    """A 80×40 JPEG, red on the left half, whose EXIF says: rotate 90° clockwise to view (6).

    Viewed upright it is 40×80 with red on the top half. It also carries GPS, a comment and XMP.
    """
    image = Image.new("RGB", (80, 40), (20, 20, 220))
    image.paste((230, 20, 20), (0, 0, 40, 40))
    return encode(image, "JPEG", quality=95, exif=gps_exif(orientation=6), comment=b"home: 3-502",
                  xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><exif:GPSLatitude>31,18.08N</exif:GPSLatitude></x:xmpmeta>')


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width`×`height` RGB pixels: a decompression bomb's header."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
            + _png_chunk(b"IDAT", zlib.compress(b"\0" * 4096)) + _png_chunk(b"IEND", b""))


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small baseline JPEG with its frame header patched to claim `width`×`height`."""
    data = bytearray(jpeg((16, 16)))
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)

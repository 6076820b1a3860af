"""Where photo bytes live, behind a key → bytes interface (local directory now, S3-compatible later).

Keys are generated here and checked on every call, so no caller can turn user input into a path.
"""
from __future__ import annotations

import os
import re
import tempfile
import uuid
from pathlib import Path
from typing import BinaryIO

from flask import Flask

# Two shard levels of 256 directories each keep any one directory small.
KEY_PATTERN = re.compile(r"[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{32}\.(?:jpg|png)")


def new_key(extension: str) -> str:
    """A fresh random key such as `3f/a9/3fa9…e1.jpg`."""
    token = uuid.uuid4().hex
    return f"{token[:2]}/{token[2:4]}/{token}.{extension}"


def _check(key: str) -> None:
    if not KEY_PATTERN.fullmatch(key):
        raise ValueError(f"not a media key: {key!r}")


class LocalStorage:
    """Files under one directory, named by their keys."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def save(self, key: str, data: bytes) -> None:
        """Write the bytes under `key`; readers see the whole file or none of it."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def open(self, key: str) -> BinaryIO:
        """Open the stored bytes for reading."""
        return self._path(key).open("rb")

    def delete(self, key: str) -> None:
        """Remove the bytes under `key`, if there are any."""
        self._path(key).unlink(missing_ok=True)

    def _path(self, key: str) -> Path:
        _check(key)
        return self.root / key


def storage_for(app: Flask) -> LocalStorage:
    """The app's media store, created on first use from `MEDIA_ROOT`."""
    store = app.extensions.get("linli_media_storage")
    if store is None:
        if not app.config.get("MEDIA_ROOT"):
            raise RuntimeError("MEDIA_ROOT is not set")
        store = app.extensions["linli_media_storage"] = LocalStorage(app.config["MEDIA_ROOT"])
    return store

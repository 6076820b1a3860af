"""Fixtures of the media tests."""
from __future__ import annotations

import pytest

from tests.media.helpers import media_rows, stored_files


@pytest.fixture
def nothing_stored(app):
    """Check, after the test, that no photo row and no file was written."""
    yield
    assert media_rows() == []
    assert stored_files(app) == []

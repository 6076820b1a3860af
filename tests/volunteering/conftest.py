"""Fixtures of the volunteering tests."""
from __future__ import annotations

import pytest

from tests.volunteering.factories import make_community

TEMPLATES = {
    "volunteer_promoted": {"template_id": "tmpl-promoted", "fields": {"thing1": "title", "time2": "time",
                                                                      "phrase3": "status"}},
    "volunteer_reminder": {"template_id": "tmpl-reminder", "fields": {"thing1": "title", "thing2": "place"}},
    "volunteer_shift_changed": {"template_id": "tmpl-changed", "fields": {"thing1": "title", "time2": "start",
                                                                          "thing3": "place"}},
}


@pytest.fixture
def world(app):
    """A district with a committee member per community and a household to make volunteers in."""
    return make_community()


@pytest.fixture
def wechat_app(make_app, wechat_settings):
    """The app talking to the fake WeChat server, with subscribe templates for volunteering."""
    app = make_app(**wechat_settings, WECHAT_TEMPLATES=TEMPLATES)
    with app.app_context():
        yield app

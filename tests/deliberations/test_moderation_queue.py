"""The moderation queue: held and reported comments and held topic photos, oldest first, in one list."""
from __future__ import annotations

import json
from datetime import timedelta
from itertools import count as numbers

import pytest
import sqlalchemy as sa

from backend.core.db import utcnow
from backend.deliberations import service
from backend.deliberations.models import Comment, Topic
from backend.extensions import db
from backend.media.models import MediaFile
from tests.deliberations.factories import actor, headers, make_topic, make_world, resident
from tests.factories import make_user

_keys = numbers(1)


def held_photo(topic: Topic, owner, screening: str, age: timedelta) -> MediaFile:
    """A photo attached to `topic`, uploaded `age` ago, where its image check stands at `screening`."""
    n = next(_keys)
    photo = MediaFile(owner_id=owner.id, storage_key=f"q{n}.jpg", thumbnail_key=f"q{n}t.jpg", content_type="image/jpeg",
                      width=4, height=4, size=10, sha256="0" * 64, attached_type="topic", attached_id=topic.id,
                      screening=screening, created_at=utcnow() - age)
    db.session.add(photo)
    db.session.commit()
    return photo


def reported_comment(client, topic: Topic, author, reporter, age: timedelta) -> int:
    """A comment written `age` ago that a neighbour reported."""
    comment_id = client.post(f"/api/v1/topics/{topic.id}/comments", json={"body": "楼上说得不对"},
                             headers=headers(author)).json["id"]
    client.post(f"/api/v1/comments/{comment_id}/report", json={"reason": "spam"}, headers=headers(reporter))
    db.session.execute(sa.update(Comment).where(Comment.id == comment_id).values(created_at=utcnow() - age))
    db.session.commit()
    return comment_id


def queue(client, user, **query):
    response = client.get("/api/v1/moderation/queue", query_string=query, headers=headers(user))
    assert response.status_code == 200, response.json
    return response


def listed(response) -> list[tuple[str, int]]:
    return [(item["kind"], item["comment"]["id"] if item["kind"] == "comment" else item["photo"]["id"])
            for item in response.json]


@pytest.fixture
def desk(client):
    """Community 0's topic with a reported comment and photos in every state; a topic of community 1 with a held photo."""
    world = make_world()
    alice, bob = resident("alice", world.grid(0)), resident("bob", world.grid(0))
    topic = make_topic(world, proposer=alice)
    other = service.create_topic(actor(world.other_committee), {
        "title": "二号社区的议题", "body": "二号社区的议题正文，请大家讨论。", "community_id": world.geo.communities[1].id,
        "grid_ids": [], "buildings": [], "photo_ids": [], "ballot": None})
    photos = {
        "review": held_photo(topic, alice, "review", timedelta(hours=2)),
        "unanswered": held_photo(topic, alice, "pending", timedelta(minutes=40)),
        "checking": held_photo(topic, alice, "pending", timedelta(minutes=5)),
        "risky": held_photo(topic, alice, "risky", timedelta(hours=3)),
        "passed": held_photo(topic, alice, "pass", timedelta(hours=3)),
        "elsewhere": held_photo(other, alice, "review", timedelta(hours=4)),
    }
    comment_id = reported_comment(client, topic, bob, alice, timedelta(hours=1))
    return world, topic, photos, comment_id, alice


def test_held_photos_of_managed_topics_join_the_comments_oldest_first(client, desk):
    world, topic, photos, comment_id, alice = desk
    response = queue(client, world.committee)
    assert listed(response) == [("photo", photos["review"].id), ("comment", comment_id),
                                ("photo", photos["unanswered"].id)]
    photo_item, comment_item = response.json[0], response.json[1]
    assert photo_item == {
        "kind": "photo", "topic_title": topic.title, "community_id": world.community.id,
        "photo": {"id": photos["review"].id, "topic_id": topic.id, "screening": "review",
                  "url": f"/api/v1/media/{photos['review'].id}",
                  "thumbnail_url": f"/api/v1/media/{photos['review'].id}/thumbnail",
                  "uploader": {"id": alice.id, "nickname": "alice"},
                  "uploaded_at": photos["review"].created_at.isoformat()}}
    assert comment_item["kind"] == "comment" and comment_item["reports"] == {"spam": 1}
    assert comment_item["comment"]["body"] == "楼上说得不对" and "photo" not in comment_item
    # The committee of community 1 sees only its own topic's photo.
    assert listed(queue(client, world.other_committee)) == [("photo", photos["elsewhere"].id)]


def test_pages_run_across_both_kinds(client, desk):
    world, topic, photos, comment_id, _ = desk
    first = queue(client, world.committee, page_size=2)
    assert listed(first) == [("photo", photos["review"].id), ("comment", comment_id)]
    paging = json.loads(first.headers["X-Pagination"])
    assert (paging["total"], paging["total_pages"], paging["next_page"]) == (3, 2, 2)
    assert listed(queue(client, world.committee, page_size=2, page=2)) == [("photo", photos["unanswered"].id)]


def test_the_community_filter_applies_to_photos(client, desk):
    world, topic, photos, comment_id, _ = desk
    street = make_user("street", roles=(("street_admin", "street", world.geo.streets[0].id),))
    assert listed(queue(client, street))[0] == ("photo", photos["elsewhere"].id)
    assert len(queue(client, street).json) == 4
    assert listed(queue(client, street, community_id=world.geo.communities[1].id)) == [
        ("photo", photos["elsewhere"].id)]
    assert ("photo", photos["elsewhere"].id) not in listed(queue(client, street, community_id=world.community.id))
    assert queue(client, world.committee, community_id=world.geo.communities[1].id).json == []


def test_a_decided_photo_leaves_the_queue(client, desk):
    world, topic, photos, comment_id, _ = desk
    for photo, decision in ((photos["review"], "pass"), (photos["unanswered"], "risky")):
        decided = client.post(f"/api/v1/media/{photo.id}/screening", json={"decision": decision},
                              headers=headers(world.committee))
        assert decided.json == {"id": photo.id, "screening": decision}
    assert listed(queue(client, world.committee)) == [("comment", comment_id)]


def test_a_resident_is_refused_the_queue(client, desk):
    *_, alice = desk
    response = client.get("/api/v1/moderation/queue", headers=headers(alice))
    assert (response.status_code, response.json["reason"]) == (403, "forbidden")

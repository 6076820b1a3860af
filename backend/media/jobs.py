"""Background work of photos: asking WeChat to check one."""
from __future__ import annotations

from backend.core.jobs import job


@job
def check_photo(media_id: int, scene: int) -> None:
    """Send a pending photo to mediaCheckAsync (returns early once it has a trace id or a verdict)."""
    from backend.media import screening  # screening queues this job: import it late

    screening.send_for_check(media_id, scene)

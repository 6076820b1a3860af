"""Photo uploads — 照片: checked by content, re-encoded without metadata, served only to who may see them."""

"""Deliberation and votes — 协商议事: topics, moderated discussion, secret ballots with receipts."""

"""Attempts at this session's cases: fixes a student might write, with the verdict due (spoilers)."""

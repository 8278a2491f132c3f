"""The moderation console: one page that lists every channel's queue and the open reports."""

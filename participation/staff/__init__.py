"""The staff console: what waits for city staff in every channel."""

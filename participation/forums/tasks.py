"""Jobs of this channel (RQ), idempotent: they take ids and recompute from the database."""

# (function, seconds between runs), run by the worker's cron scheduler.
PERIODIC: list = []
# Functions that recompute all of this channel's counts; `flask --app wsgi tally` runs them.
RECOUNTS: list = []

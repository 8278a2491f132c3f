"""Every periodic job and every full recount, in one place.

Each channel's tasks module lists its own: PERIODIC as (function, seconds between runs) and RECOUNTS
as functions that recompute all of that channel's counts from the database. The worker's cron
scheduler runs PERIODIC; `flask --app wsgi tally` runs RECOUNTS, then the indicator refresh."""

from participation.forums import tasks as forums
from participation.indicators import tasks as indicators
from participation.petitions import tasks as petitions
from participation.polls import tasks as polls
from participation.proposals import tasks as proposals
from participation.surveys import tasks as surveys

CHANNEL_TASKS = (petitions, proposals, polls, forums, surveys)

# Indicators come last: they count what the channels' recounts have just settled.
PERIODIC = [entry for module in (*CHANNEL_TASKS, indicators) for entry in module.PERIODIC]
RECOUNTS = [func for module in (*CHANNEL_TASKS, indicators) for func in module.RECOUNTS]

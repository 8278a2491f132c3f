"""The app as the benchmark serves it: the configuration comes as JSON in BENCH_CONFIG (instance
directory, database, Redis); everything else from PARTICIPATION_* like in production."""

import json
import os

from participation import create_app

app = create_app(json.loads(os.environ["BENCH_CONFIG"]))

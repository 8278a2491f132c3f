"""The app as the live_server fixture serves it: the test configuration, real commits."""

import os
from pathlib import Path

from participation import create_app
from tests.conftest import make_test_config

config = make_test_config(Path(os.environ["PARTICIPATION_TEST_INSTANCE"]))
config.pop("SERVER_NAME")
app = create_app(config)

"""The worker's logging: quiet libraries cost nothing."""

from __future__ import annotations

import logging

from pipeline.agents.app import create_worker
from pipeline.settings import Settings


def test_a_worker_at_warning_builds_no_debug_records() -> None:
    root = logging.getLogger()
    saved = root.level, list(root.handlers)
    try:
        create_worker(Settings().isolated("test-logging"), loglevel="warning")._setup_logging()
        # Faust's spinner would set the root logger to DEBUG: every library debug line built, then dropped.
        assert not logging.getLogger("aiokafka").isEnabledFor(logging.DEBUG)
        assert not logging.getLogger("faust").isEnabledFor(logging.INFO)
        assert logging.getLogger("pipeline").isEnabledFor(logging.WARNING)
    finally:
        root.setLevel(saved[0])
        root.handlers[:] = saved[1]

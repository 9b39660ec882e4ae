"""A worker that gives up: one line, its hooks run, status 75 — whatever the event loop is doing."""

from __future__ import annotations

import subprocess
import sys

from pipeline.agents.exits import EXIT_STATUS

AGENT = """
import asyncio, logging, sys
from pipeline.agents import exits
logging.basicConfig(stream=sys.stderr, format="%(message)s")
exits.before_exit.append(lambda: print("model processes stopped", flush=True))

async def agent():
    with exits.exit_on(TimeoutError):
        raise TimeoutError("Elasticsearch answered but failed a request for 300 s")

async def stuck():
    await asyncio.Event().wait()  # what Faust's shutdown would wait for

async def main():
    asyncio.ensure_future(stuck())
    await agent()

asyncio.run(main())
"""


def test_an_error_the_agent_cannot_wait_out_ends_the_worker_in_one_line():
    worker = subprocess.run([sys.executable, "-c", AGENT], capture_output=True, text=True, timeout=30)
    assert worker.returncode == EXIT_STATUS == 75
    assert worker.stdout == "model processes stopped\n"
    assert worker.stderr == ("worker cannot go on: Elasticsearch answered but failed a request for 300 s; "
                             "exiting with status 75 for a new worker to take over\n")


def test_a_send_past_its_deadline_ends_the_worker():
    script = ("import asyncio\nfrom pipeline.agents.exits import within\n"
              "asyncio.run(within(asyncio.Event().wait(), 'a send to unique', seconds=1))\n")
    worker = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert worker.returncode == EXIT_STATUS
    assert "worker cannot go on: a send to unique did not complete within 1 s" in worker.stderr

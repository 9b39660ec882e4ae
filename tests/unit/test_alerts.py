"""Alert matching and subscriptions: pure units, no Kafka or Elasticsearch."""

from __future__ import annotations

import pytest

from pipeline.alerts import Matcher, build_alert, should_alert
from pipeline.alerts.ledger import Action, Ledger, Unconfirmed
from pipeline.alerts.subscriptions import SubscriptionError, canonical, load_subscriptions, parse_subscription
from pipeline.enrich.gazetteer import gazetteer_files, load_gazetteer
from pipeline.ingest.wiretext import parse_wire_text
from pipeline.settings import CONFIG_DIR
from schemas import EnrichedArticle, Entity, EntityType
from schemas.alerts import Subscription


def entity(name: str, kind: EntityType, salience: float, forms: list[str] | None = None) -> Entity:
    return Entity(name=name, type=kind, mentions=1, first_offset=0, in_headline=False, salience=salience,
                  forms=forms or [name])


@pytest.fixture(scope="module")
def esper(esper_text) -> EnrichedArticle:
    article = parse_wire_text(esper_text, source="voa")
    return EnrichedArticle(article=article, version=1, entities=[
        entity("Mark Esper", EntityType.PERSON, 0.9, ["Esper", "Defense Secretary Mark Esper"]),
        entity("Iran", EntityType.PLACE, 0.8),
        entity("Baghdad", EntityType.PLACE, 0.3),
        entity("Pentagon", EntityType.ORGANISATION, 0.2),
    ])


def sub(**fields) -> Subscription:
    return Subscription(name=fields.pop("name", "s"), **fields)


def names(matcher: Matcher, story: EnrichedArticle, query_hits=()) -> set[str]:
    return {m.subscription.name for m in matcher.match(story, query_hits)}


def test_entities_match_by_type_and_canonical_name_any_or_all(esper):
    matcher = Matcher([
        sub(name="esper", any_entities=["person:Mark Esper"]),
        sub(name="esper-lower", any_entities=["person:mark esper"]),
        sub(name="any", any_entities=["person:Nobody", "place:Baghdad"]),
        sub(name="all", all_entities=["person:Mark Esper", "place:Baghdad"]),
        sub(name="all-missing", all_entities=["person:Mark Esper", "place:Kuwait"]),
        sub(name="wrong-type", any_entities=["organisation:Baghdad"]),
        sub(name="none", any_entities=["person:Scott Morrison"]),
    ])
    assert names(matcher, esper) == {"esper", "esper-lower", "any", "all"}


def test_phrases_are_whole_words_and_case_insensitive(esper):
    matcher = Matcher([
        sub(name="embassy", phrases=["EMBASSY"]),
        sub(name="phrase", phrases=["military   action"]),
        sub(name="part-of-a-word", phrases=["emb"]),
        sub(name="absent", phrases=["volcano"]),
    ])
    matches = {m.subscription.name: m for m in matcher.match(esper)}
    assert set(matches) == {"embassy", "phrase"}
    assert matches["phrase"].matched == ["phrase:military action"]
    assert "<em>military action</em>" in matches["phrase"].snippet.lower()


def test_every_criterion_and_filter_must_hold(esper):
    matcher = Matcher([
        sub(name="both", any_entities=["person:Mark Esper"], phrases=["embassy"]),
        sub(name="entity-not-phrase", any_entities=["person:Mark Esper"], phrases=["volcano"]),
        sub(name="salient", any_entities=["place:Iran"], min_salience=0.5),
        sub(name="not-salient", any_entities=["place:Baghdad"], min_salience=0.5),
        sub(name="right-section", phrases=["embassy"], sections=[esper.article.section.lower()]),
        sub(name="wrong-section", phrases=["embassy"], sections=["Sports"]),
        sub(name="wrong-source", phrases=["embassy"], sources=["reuters"]),
    ])
    assert names(matcher, esper) == {"both", "salient", "right-section"}


def test_a_query_subscription_needs_elasticsearchs_answer(esper):
    matcher = Matcher([sub(name="q", query="preemptive AND Iran"), sub(name="q-and-entity", query="x",
                                                                       any_entities=["person:Nobody"])])
    assert matcher.queries == {"q": "preemptive AND Iran", "q-and-entity": "x"}
    assert names(matcher, esper) == set()
    [match] = matcher.match(esper, {"q", "q-and-entity"})
    assert match.matched == ["query:preemptive AND Iran"]
    assert "<em>preemptive</em>" in match.snippet and "<em>Iran</em>" in match.snippet


def test_snippet_shows_the_entity_in_the_body(esper):
    [match] = Matcher([sub(any_entities=["person:Mark Esper"])]).match(esper)
    assert match.matched == ["person:Mark Esper"]
    assert "Mark Esper</em>" in match.snippet  # the longest form seen, title included
    assert len(match.snippet) < 300 and "\n" not in match.snippet


def test_alert_id_and_updates(esper):
    follows = sub(name="f", phrases=["embassy"], updates=True)
    once = sub(name="o", phrases=["embassy"])
    assert should_alert(once, 1, None) and should_alert(follows, 1, None)
    assert not should_alert(once, 1, 1) and not should_alert(follows, 1, 1)  # a replay
    assert not should_alert(follows, 1, 2)  # an older version arriving late
    assert should_alert(follows, 2, 1) and not should_alert(once, 2, 1)
    [match] = Matcher([follows]).match(esper)
    alert = build_alert(match, esper.model_copy(update={"version": 2}), is_update=True)
    assert alert.id == f"f:{esper.article.id}:v2" and alert.is_update and alert.headline == esper.article.headline


@pytest.mark.parametrize(("data", "error"), [
    ({"name": "has space", "phrases": ["x"]}, "cannot name an alerts topic"),
    ({"name": "x" * 201, "phrases": ["x"]}, "cannot name an alerts topic"),
    ({"name": "a.b", "phrases": ["x"]}, r"no '\.', which Kafka confuses with '_'"),
    ({"name": "ok", "any_entities": ["company:Acme"]}, "unknown entity type 'company'"),
    ({"name": "ok", "any_entities": ["Mark Esper"]}, "write an entity as type:Name"),
    ({"name": "ok"}, "give at least one of"),
    ({"name": "ok", "phrases": ["  "]}, "must contain a letter or digit"),
    ({"name": "ok", "phrases": ["!!"]}, "must contain a letter or digit"),
    ({"name": "ok", "phrases": ["x"], "min_salience": 2}, "min_salience"),
    ({"name": "ok", "phrases": ["x"], "colour": "red"}, "colour"),
])
def test_bad_subscriptions_are_refused_in_one_line(data, error):
    with pytest.raises(SubscriptionError, match=error) as caught:
        parse_subscription(data)
    assert "\n" not in str(caught.value)


def test_aliases_become_canonical_names():
    gazetteer = load_gazetteer(gazetteer_files(CONFIG_DIR))
    subscription = canonical(sub(any_entities=["person:esper", "place:U.S.", "place:Atlantis", "organisation:Pentagon",
                                               "organisation:U.N.", "person:Moammar Gadhafi"]), gazetteer)
    assert [str(ref) for ref in subscription.any_entities] == [
        "person:Mark Esper", "place:United States", "place:Atlantis", "organisation:United States Department of Defense",
        "organisation:United Nations", "person:Muammar Gaddafi"]


def test_the_shipped_alerts_file_loads_and_bad_files_name_the_problem(tmp_path):
    assert {s.name for s in load_subscriptions(CONFIG_DIR / "alerts.yaml")} >= {"pentagon", "iran-escalation"}
    assert load_subscriptions(tmp_path / "absent.yaml") == []
    twice = tmp_path / "twice.yaml"
    twice.write_text("subscriptions:\n  - {name: a, phrases: [x]}\n  - {name: a, phrases: [y]}\n")
    with pytest.raises(SubscriptionError, match="unique: a"):
        load_subscriptions(twice)
    bad = tmp_path / "bad.yaml"
    bad.write_text("subscriptions:\n  - {name: b, any_entities: ['thing:x']}\n")
    with pytest.raises(SubscriptionError, match=r"bad.yaml: subscription 'b': any_entities.0: unknown entity type"):
        load_subscriptions(bad)


def test_the_index_finds_what_checking_every_subscription_finds(esper):
    """The matcher only checks the subscriptions a story could trigger; that must never lose one."""
    import random

    rng = random.Random(5)
    vocabulary = ["embassy", "military action", "Iran", "volcano", "Baghdad", "U.S. forces", "the", "Esper said"]
    refs = ["person:Mark Esper", "place:Iran", "place:Baghdad", "organisation:Pentagon", "person:Nobody", "place:Kuwait"]
    subs = []
    for i in range(300):
        fields = {}
        if rng.random() < 0.5:
            fields["any_entities" if rng.random() < 0.5 else "all_entities"] = rng.sample(refs, rng.randint(1, 3))
        if rng.random() < 0.5 or not fields:
            fields["phrases"] = rng.sample(vocabulary, rng.randint(1, 2))
        if rng.random() < 0.2:
            fields["min_salience"] = rng.choice([0.25, 0.5])
        subs.append(sub(name=f"s{i}", **fields))
    indexed = names(Matcher(subs), esper)
    # A name in query_hits makes a subscription a candidate whatever its triggers: every one checked.
    one_by_one = {s.name for s in subs if names(Matcher([s]), esper, {s.name})}
    assert indexed == one_by_one and 20 < len(indexed) < 300


def test_phrase_words_match_across_punctuation(esper):
    # The story has 'U.S. forces' and 'militias may be planning'.
    matcher = Matcher([sub(name="a", phrases=["us forces"]), sub(name="b", phrases=["militias, may be"])])
    assert names(matcher, esper) == {"b"}  # "U.S." is the words "u" and "s", not "us"


def test_an_alert_is_recorded_unconfirmed_then_confirmed():
    follows = Subscription(name="follows", phrases=["x"], updates=True)
    ledger = Ledger(partition=3)
    assert ledger.action(follows, 1) is Action.SEND
    assert ledger.record("follows", 1, now_ms=1_000).is_update is False
    # Read again before it was confirmed (its worker died): look on the topic, do not send blindly.
    again = Ledger.load(ledger.dump(), partition=0)
    assert again.action(follows, 1) is Action.VERIFY
    assert again.mark("follows", 1).since_ms == 1_000 and again.partition == 3
    assert again.confirm({("follows", 1)}) and not again.confirm({("follows", 1)})
    assert again.action(follows, 1) is Action.SKIP
    assert again.action(follows, 2) is Action.SEND
    assert again.record("follows", 2, now_ms=2_000).is_update is True
    # An older version read again while the newer one is unconfirmed was itself confirmed before.
    assert again.action(follows, 1) is Action.SKIP


def test_two_versions_recorded_unconfirmed_are_each_verified_and_confirmed_alone():
    """A batch with two versions of a story, cut short before either alert went out: each version
    is looked for on the topic when read again, even in two batches."""
    follows = Subscription(name="follows", phrases=["x"], updates=True)
    ledger = Ledger(partition=0)
    ledger.record("follows", 1, now_ms=1_000)
    assert ledger.record("follows", 2, now_ms=1_000).is_update is True
    again = Ledger.load(ledger.dump(), partition=0)
    assert [again.action(follows, v) for v in (1, 2)] == [Action.VERIFY, Action.VERIFY]
    assert again.mark("follows", 1).is_update is False
    assert again.confirm({("follows", 1)})
    assert [again.action(follows, v) for v in (1, 2, 3)] == [Action.SKIP, Action.VERIFY, Action.SEND]


def test_an_entry_written_before_marks_had_versions_still_loads():
    old = b'{"at": 1.0, "p": 4, "sent": {"follows": 3}, "unconfirmed": {"follows": [1000, true]}}'
    assert Ledger.load(old, partition=0).mark("follows", 3) == Unconfirmed(3, 1000, True)


def test_a_subscription_without_updates_is_alerted_once():
    once = Subscription(name="once", phrases=["x"])
    ledger = Ledger(partition=0)
    ledger.record("once", 1, now_ms=5)
    ledger.confirm({("once", 1)})
    assert [ledger.action(once, v) for v in (1, 2, 3)] == [Action.SKIP] * 3
    assert Ledger.load(None, partition=7) == Ledger(partition=7)

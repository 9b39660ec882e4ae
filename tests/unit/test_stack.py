"""The local stack's pure parts."""

import uuid

from pipeline import stack


def test_cluster_id_never_starts_with_a_dash(monkeypatch):
    # 0xF8 in the first byte encodes to "-" first: Kafka's storage tool took such an id for an
    # option and the stack failed to start, once in 64 fresh starts.
    draws = iter([uuid.UUID(bytes=b"\xf8" + bytes(15)), uuid.UUID(bytes=b"\x10" + bytes(15))])
    monkeypatch.setattr(uuid, "uuid4", lambda: next(draws))

    assert stack.cluster_id() == "EAAAAAAAAAAAAAAAAAAAAA"


def test_cluster_id_is_22_url_safe_characters():
    ids = {stack.cluster_id() for _ in range(200)}

    assert len(ids) == 200
    assert all(len(i) == 22 and i.replace("-", "").replace("_", "").isalnum() for i in ids)

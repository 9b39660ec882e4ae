"""The stall detector: a partition behind, uncommitted and idle for long enough is stalled; waiting
with events in flight, or a committed offset that moves, is not."""

from pipeline.agents.watchdog import StallDetector

RAW, UNIQUE = ("articles.raw", 0), ("articles.unique", 1)


def test_behind_and_idle_for_the_whole_window_is_stalled():
    detector = StallDetector(stall_s=30)
    assert detector.observe({RAW: (0, 16), UNIQUE: (5, 5)}, busy=False, now=0) == []
    assert detector.observe({RAW: (0, 16), UNIQUE: (5, 5)}, busy=False, now=29) == []
    assert detector.observe({RAW: (0, 16), UNIQUE: (5, 9)}, busy=False, now=30) == [RAW]


def test_a_moving_commit_restarts_the_clock():
    detector = StallDetector(stall_s=30)
    detector.observe({RAW: (0, 16)}, busy=False, now=0)
    assert detector.observe({RAW: (4, 16)}, busy=False, now=20) == []
    assert detector.observe({RAW: (4, 16)}, busy=False, now=49) == []
    assert detector.observe({RAW: (4, 16)}, busy=False, now=50) == [RAW]


def test_events_in_flight_are_waiting_not_stalled():
    detector = StallDetector(stall_s=30)
    detector.observe({RAW: (0, 16)}, busy=False, now=0)
    assert detector.observe({RAW: (0, 16)}, busy=True, now=40) == []  # e.g. Elasticsearch down
    assert detector.observe({RAW: (0, 16)}, busy=False, now=60) == []
    assert detector.observe({RAW: (0, 16)}, busy=False, now=90) == [RAW]


def test_caught_up_or_no_longer_owned_is_forgotten():
    detector = StallDetector(stall_s=30)
    detector.observe({RAW: (0, 16)}, busy=False, now=0)
    assert detector.observe({RAW: (16, 16)}, busy=False, now=40) == []
    detector.observe({UNIQUE: (0, 3)}, busy=False, now=40)
    assert detector.observe({RAW: (0, 20)}, busy=False, now=71) == []  # owned again: a fresh clock

"""The dispatcher's order: priority first, aging against starvation, then age."""

from medialens.dispatch import _Head

AGING = 300.0


def _head(level: int, sent_seconds_ago: float, now_ms: int = 10_000_000) -> _Head:
    return _Head(level, "q", "r", f"job_{level}_{sent_seconds_ago}", 1, now_ms - int(sent_seconds_ago * 1000))


def _best(*heads: _Head) -> _Head:
    return max(heads, key=lambda h: h.rank(10_000_000, AGING))


def test_higher_priority_first_then_older():
    assert _best(_head(1, 10), _head(4, 1), _head(2, 100)).level == 4
    assert _best(_head(2, 10), _head(2, 20)).job_id == "job_2_20"


def test_a_waiting_low_job_outranks_fresh_critical_work_after_four_aging_periods():
    fresh_critical = _head(4, 0)
    assert _best(_head(1, 3 * AGING + 1), fresh_critical) is fresh_critical  # a tie goes to the nominal level
    low = _head(1, 4 * AGING + 1)
    assert _best(low, fresh_critical) is low

"""Rollout arms over 10,000 simulated contacts: the share, stickiness and monotonicity."""

from datetime import UTC, datetime

import pytest

from app.personas.resolution import RolloutArm
from app.release.arms import arm_for, bucket
from app.release.documents import Rollout

CONTACTS = [f"contact-{n}" for n in range(10_000)]


def _rollout(percent: int, like: Rollout | None = None) -> Rollout:
    if like is not None:
        return like.model_copy(update={"percent": percent})
    return Rollout(version=2, percent=percent, started_at=datetime.now(UTC), started_by="test")


def _candidates(rollout: Rollout) -> set[str]:
    return {c for c in CONTACTS if arm_for(rollout, c) is RolloutArm.CANDIDATE}


@pytest.mark.parametrize("percent", [1, 10, 50, 90, 99])
def test_the_candidate_share_is_within_two_points_of_the_percent(percent: int) -> None:
    share = 100 * len(_candidates(_rollout(percent))) / len(CONTACTS)
    assert abs(share - percent) <= 2, share


def test_nobody_at_0_and_everybody_at_100() -> None:
    rollout = _rollout(0)
    assert _candidates(rollout) == set()
    assert _candidates(_rollout(100, like=rollout)) == set(CONTACTS)


def test_a_contact_keeps_its_arm_for_the_life_of_the_rollout() -> None:
    rollout = _rollout(50)
    first = {c: arm_for(rollout, c) for c in CONTACTS}
    # The same rollout as another process reads it from the database.
    reread = Rollout.model_validate(rollout.model_dump())
    assert {c: arm_for(reread, c) for c in CONTACTS} == first


def test_raising_the_percent_only_moves_contacts_from_baseline_to_candidate() -> None:
    rollout = _rollout(10)
    before = _candidates(rollout)
    for percent in (30, 31, 60, 90):
        after = _candidates(_rollout(percent, like=rollout))
        assert before <= after, percent
        assert abs(100 * len(after) / len(CONTACTS) - percent) <= 2
        before = after


def test_lowering_it_only_moves_contacts_back() -> None:
    rollout = _rollout(60)
    assert _candidates(_rollout(20, like=rollout)) <= _candidates(rollout)


def test_each_rollout_draws_its_own_contacts() -> None:
    # A new rollout at the same percent must not always pick the same callers first.
    one, other = _candidates(_rollout(50)), _candidates(_rollout(50))
    overlap = len(one & other) / len(CONTACTS)
    assert 0.2 < overlap < 0.3, overlap


def test_buckets_cover_the_range_evenly() -> None:
    rollout = _rollout(50)
    buckets = [bucket(rollout.id, c) for c in CONTACTS]
    assert all(0 <= b < 10_000 for b in buckets)
    tenths = [sum(1 for b in buckets if lo <= b < lo + 1_000) for lo in range(0, 10_000, 1_000)]
    assert all(800 <= count <= 1_200 for count in tenths), tenths


def test_without_a_contact_both_arms_are_drawn_in_about_the_share() -> None:
    rollout = _rollout(30)
    drawn = [arm_for(rollout, None) for _ in range(10_000)]
    share = 100 * drawn.count(RolloutArm.CANDIDATE) / len(drawn)
    assert abs(share - 30) <= 3, share

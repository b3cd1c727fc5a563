"""Which arm of a rollout a call start is served.

A contact's arm is a pure function of the rollout's id and the contact id, the same on every
process: its bucket (0 .. 9,999) is below percent * 100 exactly when it gets the candidate, so
raising the percentage only moves contacts from the baseline to the candidate.
"""

import hashlib
import random

from beanie import PydanticObjectId

from app.personas.resolution import RolloutArm
from app.release.documents import Rollout

BUCKETS = 10_000


def bucket(rollout_id: PydanticObjectId, contact_id: str) -> int:
    digest = hashlib.sha256(f"{rollout_id}:{contact_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def arm_for(rollout: Rollout, contact_id: str | None) -> RolloutArm:
    """The arm a call start is served: sticky per contact, at random without one."""
    # At random: a share of traffic, not a secret.
    drawn = random.randrange(BUCKETS) if contact_id is None else bucket(rollout.id, contact_id)
    candidate = drawn < rollout.percent * BUCKETS // 100
    return RolloutArm.CANDIDATE if candidate else RolloutArm.BASELINE

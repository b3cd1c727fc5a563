"""What an environment serves of a persona, read whole for a call start: the environment's
values, the deployed version, and a running rollout's candidate."""

from dataclasses import dataclass

from beanie import PydanticObjectId

from app.personas.documents import Persona, Production
from app.personas.reads import find_persona, get_version
from app.personas.resolution import RolloutArm, UnknownEnvironment
from app.release.arms import arm_for
from app.release.deployments import find_deployment, served_version
from app.release.documents import Deployment, Environment
from app.release.environments import find_environment


@dataclass(frozen=True)
class Served:
    environment: Environment
    deployment: Deployment | None  # None: nothing deployed there (null, as before a publish)
    baseline: Production | None
    candidate: Production | None = None  # set while a rollout runs

    @property
    def serial(self) -> int:
        """Orders what is served: each change of the deployment adds one."""
        return self.deployment.serial if self.deployment is not None else 0

    def pick(self, contact_id: str | None) -> tuple[Production | None, RolloutArm]:
        """The version a call start gets, and its arm."""
        rollout = self.deployment.rollout if self.deployment is not None else None
        if rollout is None or self.candidate is None:
            return self.baseline, RolloutArm.BASELINE
        arm = arm_for(rollout, contact_id)
        return (self.candidate if arm is RolloutArm.CANDIDATE else self.baseline), arm


async def read_served(
    workspace_id: PydanticObjectId,
    persona_id: PydanticObjectId,
    environment: str,
    persona: Persona | None = None,
) -> Served | None:
    """None for a persona not in the workspace; UnknownEnvironment for a missing environment."""
    found = await find_environment(workspace_id, environment)
    if found is None:
        raise UnknownEnvironment(environment)
    if persona is None:
        persona = await find_persona(workspace_id, persona_id)
    if persona is None:
        return None
    deployment = await find_deployment(workspace_id, persona_id, environment)
    baseline = await served_version(persona, deployment)
    candidate = None
    if deployment is not None and deployment.rollout is not None:
        version = await get_version(persona_id, deployment.rollout.version)
        candidate = version.as_production() if version is not None else None
    return Served(found, deployment, baseline, candidate)

"""What the contract asks for that is not served yet, by the issue that will serve it.

The contract test expects exactly these to be missing: anything else missing or different
fails it, and so does an entry here once it is served (remove it then).
"""

# Environments, deployments, rollouts, schedules.
RELEASES = {
    "Persona.deployments is missing",
    "Persona.deployment is missing",
    "Persona.scheduledPublishes is missing",
    "Query.environments is missing",
    "PublishPersonaInput.environment is missing",
    "RollbackPersonaInput.environment is missing",
    "Mutation.createEnvironment is missing",
    "Mutation.setEnvironmentVariables is missing",
    "Mutation.deleteEnvironment is missing",
    "Mutation.deployPersonaVersion is missing",
    "Mutation.startRollout is missing",
    "Mutation.setRolloutPercent is missing",
    "Mutation.completeRollout is missing",
    "Mutation.abortRollout is missing",
    "Mutation.schedulePublish is missing",
    "Mutation.cancelScheduledPublish is missing",
    "type Environment is missing",
    "type ScheduleStatus is missing",
    "type ScheduledPublish is missing",
    "type CreateEnvironmentInput is missing",
    "type SetEnvironmentVariablesInput is missing",
    "type DeleteEnvironmentInput is missing",
    "type EnvironmentPayload is missing",
    "type DeleteEnvironmentPayload is missing",
    "type DeployPersonaVersionInput is missing",
    "type StartRolloutInput is missing",
    "type SetRolloutPercentInput is missing",
    "type EndRolloutInput is missing",
    "type DeploymentPayload is missing",
    "type SchedulePublishInput is missing",
    "type CancelScheduledPublishInput is missing",
    "type ScheduledPublishPayload is missing",
}
NOT_YET_SERVED = RELEASES

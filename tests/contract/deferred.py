"""What the contract asks for that is not served yet, by the issue that will serve it.

The contract test expects exactly these to be missing: anything else missing or different
fails it, and so does an entry here once it is served (remove it then).
"""

# Environments, deployments, rollouts, schedules.
RELEASES = {
    "Persona.scheduledPublishes is missing",
    "Mutation.schedulePublish is missing",
    "Mutation.cancelScheduledPublish is missing",
    "PersonaPublishedEvent.environment is missing",
    "Subscription.deploymentChanged is missing",
    "type ScheduleStatus is missing",
    "type ScheduledPublish is missing",
    "type DeploymentEvent is missing",
    "type SchedulePublishInput is missing",
    "type CancelScheduledPublishInput is missing",
    "type ScheduledPublishPayload is missing",
}
NOT_YET_SERVED = RELEASES

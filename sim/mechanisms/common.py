"""Constants the mechanisms share with the model."""

NEVER = -1  # a step that has not happened (not detected, not reported, never warned)
DECIDE_EVERY_HOURS = 24.0  # the origin revisits source control, the body escalation, daily

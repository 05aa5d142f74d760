"""The state layer: short-lived state in Redis (presence, typing, rate limits)."""

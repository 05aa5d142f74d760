"""Lambda and EventBridge, locally: what runs the template's functions.

Warm worker processes per function (`pools`, running `worker`), the EventBridge schedule
timers (`scheduler`), and the faults tests plan for the Management API and DynamoDB
(`faults`).
"""

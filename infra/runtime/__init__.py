"""Lambda and EventBridge, locally: what runs the template's functions.

Warm worker processes per function (`pools`, running `worker`), Lambda's asynchronous
invocations with their retries and destinations (`async_invocations`), the EventBridge
schedule timers (`scheduler`), and the faults tests plan for the Management API, DynamoDB
and invocations (`faults`).
"""

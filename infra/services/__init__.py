"""The backing services the functions reach: AWS (moto), Redis, and TLS.

`aws` runs moto (DynamoDB, Secrets Manager, SQS) in its own process through `moto_server`,
and creates the template's tables and the local JWT secret; `sqs` creates the template's
queues there, sends Lambda's destination records to them and evaluates the alarms on their
backlog; `redis_server` runs a throwaway redis-server; `certs` writes the Management API's
self-signed certificate; `processes` holds the port and child-process helpers they share.
"""

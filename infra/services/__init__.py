"""The backing services the functions reach: AWS (moto), Redis, and TLS.

`aws` runs moto (DynamoDB, Secrets Manager) in its own process through `moto_server`,
and creates the template's tables and the local JWT secret; `redis_server` runs a
throwaway redis-server; `certs` writes the Management API's self-signed certificate;
`processes` holds the port and child-process helpers they share.
"""

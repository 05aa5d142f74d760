"""The backing services the functions reach: AWS (moto), Redis, and TLS.

`aws` runs moto (DynamoDB, Secrets Manager) in its own process through `moto_server`,
a throwaway redis-server, and creates the template's tables and the local JWT secret;
`certs` writes the Management API's self-signed certificate.
"""

"""What moto plays for the functions: the template's tables, created with their indexes and TTL."""

from __future__ import annotations

import boto3

from infra.emulator import Emulator


def test_tables_created_from_the_template(emulator: Emulator) -> None:
    client = boto3.client(
        "dynamodb",
        endpoint_url=emulator.dynamodb_endpoint,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="y",
    )
    table = client.describe_table(TableName="switchboard-ItemsTable")["Table"]
    assert {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]} == {
        "pk": "HASH",
        "sk": "RANGE",
    }
    assert [g["IndexName"] for g in table["GlobalSecondaryIndexes"]] == ["byOwner"]
    assert [i["IndexName"] for i in table["LocalSecondaryIndexes"]] == ["byOwnerLocal"]
    ttl = client.describe_time_to_live(TableName="switchboard-ItemsTable")
    assert ttl["TimeToLiveDescription"]["AttributeName"] == "expiresAt"
    assert client.describe_table(TableName="switchboard-named-local")["Table"]["TableStatus"]

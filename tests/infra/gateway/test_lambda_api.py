"""Lambda's Invoke API on the emulator's port, through boto3's own `lambda` client: every
FunctionName form, the three invocation types, function errors, Lambda's own refusals in
its error shape, functions invoking each other through AWS_ENDPOINT_URL_LAMBDA, and SigV4
and IAM (lambda:InvokeFunction) checked before anything runs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import httpx
import pytest
from botocore.exceptions import ClientError

from infra.emulator import Emulator
from infra.gateway.iam import Credentials
from tests.infra.support import Recorder, lambda_client, new_tag, signed
from tests.waits import TIMEOUT

ARN = "arn:aws:lambda:us-east-1:123456789012:function:switchboard-EchoFunction"


def payload_of(answer: dict[str, Any]) -> Any:
    return json.loads(answer["Payload"].read())


@pytest.mark.parametrize(
    "name",
    [
        "EchoFunction",  # the logical id, as `sam local start-lambda` takes it
        "switchboard-EchoFunction",
        "switchboard-EchoFunction:$LATEST",
        "123456789012:function:switchboard-EchoFunction",
        "123456789012:function:switchboard-EchoFunction:$LATEST",
        ARN,
        f"{ARN}:$LATEST",
    ],
)
def test_a_synchronous_invoke_by_every_name_form(emulator: Emulator, name: str) -> None:
    answer = lambda_client(emulator).invoke(FunctionName=name, Payload=b'{"probe": true}')
    assert answer["StatusCode"] == 200
    assert answer["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in answer
    got = payload_of(answer)
    assert got["function_name"] == "switchboard-EchoFunction"
    assert answer["ResponseMetadata"]["RequestId"] == got["request_id"]


def test_a_qualifier_parameter_and_an_explicit_function_name(emulator: Emulator) -> None:
    client = lambda_client(emulator)
    answer = client.invoke(
        FunctionName="switchboard-delivery", Qualifier="$LATEST", Payload=b'{"tag": "q"}'
    )
    assert answer["StatusCode"] == 200 and payload_of(answer)["tag"] == "q"
    # Without a payload, the function gets an empty object, as on Lambda.
    assert payload_of(client.invoke(FunctionName="DeliveryFunction"))["tag"] == "none"


def test_a_function_error_is_200_with_the_error_as_payload(emulator: Emulator) -> None:
    answer = lambda_client(emulator).invoke(FunctionName="BoomFunction", Payload=b"{}")
    assert answer["StatusCode"] == 200
    assert answer["FunctionError"] == "Unhandled"
    error = payload_of(answer)
    assert (error["errorType"], error["errorMessage"]) == ("RuntimeError", "boom")
    assert error["requestId"] == answer["ResponseMetadata"]["RequestId"]
    assert isinstance(error["stackTrace"], list)


def test_a_timeout_is_a_function_error(emulator: Emulator) -> None:
    answer = lambda_client(emulator).invoke(FunctionName="SlowFunction", Payload=b"{}")
    assert answer["FunctionError"] == "Unhandled"
    assert payload_of(answer)["errorType"] == "Sandbox.Timedout"


def refusal(call: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response


@pytest.mark.parametrize(
    ("name", "qualifier", "missing"),
    [
        ("nope", None, "arn:aws:lambda:us-east-1:123456789012:function:nope"),
        (f"{ARN}:live", None, f"{ARN}:live"),
        ("switchboard-EchoFunction", "1", f"{ARN}:1"),
        (ARN.replace("123456789012", "210987654321"), None, None),
        (ARN.replace("us-east-1", "eu-west-1"), None, None),
    ],
)
def test_an_unknown_function_or_qualifier_is_resource_not_found(
    emulator: Emulator, name: str, qualifier: str | None, missing: str | None
) -> None:
    client = lambda_client(emulator)
    extra = {"Qualifier": qualifier} if qualifier else {}
    with pytest.raises(client.exceptions.ResourceNotFoundException) as raised:
        client.invoke(FunctionName=name, Payload=b"{}", **extra)
    response = raised.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == (
        "ResourceNotFoundException"
    )
    assert response["Type"] == "User"
    assert response["Error"]["Message"] == f"Function not found: {missing or name}"


def test_payloads_over_lambdas_limits_are_refused(emulator: Emulator) -> None:
    client = lambda_client(emulator, read_timeout=TIMEOUT * 3)
    sync_limit, async_limit = 6 * 1024 * 1024, 256 * 1024

    def sized(size: int) -> bytes:  # a JSON string of exactly `size` bytes
        return json.dumps("x" * (size - 2)).encode()

    for size, invocation_type, limit in (
        (sync_limit + 1, "RequestResponse", sync_limit),
        (async_limit + 1, "Event", async_limit),
    ):
        response = refusal(
            lambda size=size, invocation_type=invocation_type: client.invoke(
                FunctionName="EchoFunction", InvocationType=invocation_type, Payload=sized(size)
            )
        )
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 413
        assert response["Error"]["Code"] == "RequestEntityTooLargeException"
        assert response["Error"]["Message"] == (
            f"{size} byte payload is too large for the {invocation_type} invocation type "
            f"(limit {limit} bytes)"
        )
    # At the limit it is accepted (DryRun has the synchronous limit and runs nothing; an
    # event at its limit: the next test).
    dry = client.invoke(
        FunctionName="EchoFunction", InvocationType="DryRun", Payload=sized(sync_limit)
    )
    assert dry["StatusCode"] == 204


def test_an_event_at_the_asynchronous_limit_runs(emulator: Emulator, recorder: Recorder) -> None:
    tag = new_tag()
    body = {"tag": tag, "pad": ""}
    body["pad"] = "x" * (256 * 1024 - len(json.dumps(body).encode()))
    payload = json.dumps(body).encode()
    assert len(payload) == 256 * 1024
    answer = lambda_client(emulator).invoke(
        FunctionName="DeliveryFunction", InvocationType="Event", Payload=payload
    )
    assert answer["StatusCode"] == 202
    assert emulator.async_invocations is not None
    assert emulator.async_invocations.wait_idle(TIMEOUT)
    [entry] = recorder.client.lrange(f"async:switchboard-delivery:{tag}", 0, -1)
    assert json.loads(entry)["event"]["pad"] == body["pad"]


def test_a_payload_that_is_not_json_is_refused(emulator: Emulator) -> None:
    client = lambda_client(emulator)
    for invocation_type in ("RequestResponse", "Event"):
        with pytest.raises(client.exceptions.InvalidRequestContentException) as raised:
            client.invoke(
                FunctionName="EchoFunction", InvocationType=invocation_type, Payload=b"{not json"
            )
        response = raised.value.response
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert response["Error"]["Message"].startswith("Could not parse request body into json")


def test_dry_run_checks_and_runs_nothing(emulator: Emulator, recorder: Recorder) -> None:
    tag = new_tag()
    client = lambda_client(emulator)
    answer = client.invoke(
        FunctionName="DeliveryFunction", InvocationType="DryRun", Payload=json.dumps({"tag": tag})
    )
    assert answer["StatusCode"] == 204
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.invoke(FunctionName="nope", InvocationType="DryRun")
    assert recorder.client.llen(f"async:switchboard-delivery:{tag}") == 0


def test_an_event_is_accepted_with_202_and_its_request_id(
    emulator: Emulator, recorder: Recorder
) -> None:
    tag = new_tag()
    answer = lambda_client(emulator).invoke(
        FunctionName="switchboard-delivery",
        InvocationType="Event",
        Payload=json.dumps({"tag": tag}),
    )
    assert answer["StatusCode"] == 202
    assert answer["Payload"].read() == b""
    request_id = answer["ResponseMetadata"]["RequestId"]
    assert emulator.async_invocations is not None
    assert emulator.async_invocations.wait_idle(TIMEOUT)
    [entry] = recorder.client.lrange(f"async:switchboard-delivery:{tag}", 0, -1)
    assert json.loads(entry)["request_id"] == request_id


def test_an_unsupported_invocation_type_is_refused(emulator: Emulator) -> None:
    url = f"{emulator.lambda_url}/2015-03-31/functions/EchoFunction/invocations"
    headers = {"X-Amz-Invocation-Type": "Later"}
    response = httpx.post(
        url,
        headers=signed(emulator.credentials, "POST", url, b"{}", headers, service="lambda"),
        content=b"{}",
    )
    assert response.status_code == 400
    assert response.headers["x-amzn-ErrorType"] == "InvalidParameterValueException"


def test_functions_invoke_each_other_through_their_environment(
    emulator: Emulator, recorder: Recorder
) -> None:
    """A function's own botocore `lambda` client reaches the emulator by
    AWS_ENDPOINT_URL_LAMBDA and invokes DELIVERY_FUNCTION (`switchboard-delivery`)."""
    tag, inner = new_tag(), new_tag()
    answer = emulator.invoke("AgingFunction", {"tag": tag, "invoke": {"tag": inner}})
    assert answer == {"tag": tag, "invocation": 1}
    assert emulator.async_invocations is not None
    assert emulator.async_invocations.wait_idle(TIMEOUT)
    [request_id] = recorder.client.lrange(f"async-invoked:switchboard-AgingFunction:{tag}", 0, -1)
    [entry] = recorder.client.lrange(f"async:switchboard-delivery:{inner}", 0, -1)
    assert json.loads(entry)["request_id"] == request_id
    assert json.loads(entry)["event"] == {"tag": inner}


# ------------------------------------------------------------------ signatures and IAM
# The fixture's ServerApiCallerPolicy allows lambda:InvokeFunction on ServerApiFunction only.
SERVER_ARN = "arn:aws:lambda:us-east-1:123456789012:function:switchboard-ServerApiFunction"


@pytest.fixture(scope="module")
def caller(emulator: Emulator) -> Credentials:
    return emulator.iam.add_principal("orders-service", policies=["ServerApiCallerPolicy"])


def denial(user: str, resource: str) -> str:
    return (
        f"User: arn:aws:iam::123456789012:user/{user} is not authorized to perform: "
        f"lambda:InvokeFunction on resource: {resource} because no identity-based policy "
        "allows the lambda:InvokeFunction action"
    )


def test_a_principal_with_the_policy_invokes_that_function_only(
    emulator: Emulator, caller: Credentials
) -> None:
    client = lambda_client(emulator, caller)
    answer = client.invoke(FunctionName="switchboard-ServerApiFunction", Payload=b'{"a": 1}')
    assert answer["StatusCode"] == 200 and "FunctionError" not in answer
    assert payload_of(answer)["statusCode"] == 201  # the fixture answers with its event
    for name, resource in (
        ("EchoFunction", ARN),
        ("nope", "arn:aws:lambda:us-east-1:123456789012:function:nope"),  # not a 404
        (f"{SERVER_ARN}:$LATEST", f"{SERVER_ARN}:$LATEST"),  # the grant is unqualified
    ):
        response = refusal(lambda name=name: client.invoke(FunctionName=name, Payload=b"{}"))
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert response["Error"] == {
            "Code": "AccessDeniedException",
            "Message": denial("orders-service", resource),
        }


def test_a_principal_without_the_policy_is_denied(emulator: Emulator) -> None:
    client = lambda_client(emulator, emulator.iam.add_principal("stranger"))
    response = refusal(lambda: client.invoke(FunctionName="ServerApiFunction", Payload=b"{}"))
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert response["Error"] == {
        "Code": "AccessDeniedException",
        "Message": denial("stranger", SERVER_ARN),
    }


def test_unknown_keys_and_wrong_secrets_are_refused(
    emulator: Emulator, caller: Credentials
) -> None:
    for credentials, code, message in (
        (
            Credentials("AKIAUNKNOWNUNKNOWN00", "x" * 40),
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        ),
        (
            Credentials(caller.access_key_id, "x" * 40),
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. Consult the service "
            "documentation for details.",
        ),
    ):
        client = lambda_client(emulator, credentials)
        response = refusal(lambda client=client: client.invoke(FunctionName="ServerApiFunction"))
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert response["Error"]["Code"] == code
        assert response["Error"]["Message"].split("\n")[0] == message


def test_a_stale_signature_has_expired(emulator: Emulator) -> None:
    client = lambda_client(emulator)
    signed_at = datetime.now(UTC).replace(tzinfo=None, microsecond=0) - timedelta(minutes=6)
    with mock.patch("botocore.auth.get_current_datetime", return_value=signed_at):
        response = refusal(lambda: client.invoke(FunctionName="EchoFunction", Payload=b"{}"))
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert response["Error"]["Code"] == "InvalidSignatureException"
    stamp = signed_at.strftime("%Y%m%dT%H%M%SZ")
    assert response["Error"]["Message"].startswith(f"Signature expired: {stamp} is now earlier")


def test_unsigned_or_replayed_requests_are_refused(emulator: Emulator, recorder: Recorder) -> None:
    url = f"{emulator.lambda_url}/2015-03-31/functions/DeliveryFunction/invocations"
    unsigned = httpx.post(url, content=b"{}")
    assert unsigned.status_code == 403
    assert unsigned.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert unsigned.json() == {"message": "Missing Authentication Token"}
    tag, other = new_tag(), new_tag()
    original = json.dumps({"tag": tag}).encode()
    headers = signed(emulator.credentials, "POST", url, original, service="lambda")
    replayed = httpx.post(url, content=json.dumps({"tag": other}).encode(), headers=headers)
    assert replayed.status_code == 403
    assert replayed.headers["x-amzn-ErrorType"] == "InvalidSignatureException"
    assert replayed.json()["message"].startswith("The request signature we calculated")
    # Signed for execute-api, not lambda.
    api_headers = signed(emulator.credentials, "POST", url, original)
    elsewhere = httpx.post(url, content=original, headers=api_headers)
    assert (elsewhere.status_code, elsewhere.json()) == (
        403,
        {"message": "Credential should be scoped to correct service: 'lambda'. "},
    )
    # The genuine request runs (so nothing above was refused for another reason).
    assert httpx.post(url, content=original, headers=headers).status_code == 200
    assert recorder.client.llen(f"async:switchboard-delivery:{other}") == 0

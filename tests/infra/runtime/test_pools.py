"""Lambda, locally: per-function environments, handler errors and timeouts, by direct invoke."""

from __future__ import annotations

from infra.emulator import Emulator


def test_per_function_environment(emulator: Emulator) -> None:
    echo = emulator.invoke("EchoFunction", {"probe": True})
    counter = emulator.invoke("CounterFunction", {"probe": True})
    assert echo["env"]["SHARED"] == "overridden" and counter["env"]["SHARED"] == "global"
    assert "ECHO_ONLY" in echo["env"] and "ECHO_ONLY" not in counter["env"]
    assert echo["env"]["AWS_LAMBDA_FUNCTION_NAME"] == "switchboard-EchoFunction"
    assert counter["env"]["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "1024"
    assert echo["env"]["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    env = echo["env"]
    assert env["MANAGEMENT_ENDPOINT"] == f"https://127.0.0.1:{emulator.tls_port}/local"
    assert env["AWS_ENDPOINT_URL_DYNAMODB"] == emulator.dynamodb_endpoint
    assert env["AWS_ENDPOINT_URL_SQS"] == emulator.aws_endpoint
    assert env["AWS_ENDPOINT_URL_LAMBDA"] == f"http://127.0.0.1:{emulator.port}"
    assert env["DELIVERY_FUNCTION"] == "switchboard-delivery"
    assert env["AWS_CA_BUNDLE"] == emulator.ca_bundle
    assert env["REDIS_URL"] == emulator.redis_url
    assert env["ITEMS_TABLE"] == "switchboard-ItemsTable"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["PYTHONPATH"].split(":")[0].endswith("fixtures/echo")
    assert "PYTEST_CURRENT_TEST" not in env  # nothing of the emulator's own environment
    assert 0 < echo["remaining"] <= 5000
    assert echo["function_name"] == "switchboard-EchoFunction"


def test_handler_exception_is_an_error_result(emulator: Emulator) -> None:
    result = emulator.invoke_result("BoomFunction", {})
    assert not result.ok
    assert result.error is not None
    assert result.error["errorType"] == "RuntimeError"
    assert result.error["errorMessage"] == "boom"
    assert emulator.invoke("CounterFunction", {"probe": True})["count"] >= 1


def test_timeout_kills_the_worker(emulator: Emulator) -> None:
    result = emulator.invoke_result("SlowFunction", {})
    assert result.error is not None and result.error["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in result.error["errorMessage"]

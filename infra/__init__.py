"""The local emulator: the template's AWS stack on one machine, for development and tests.

Four layers, each a sub-package, wired together by `infra.emulator.Emulator`:

- `infra.template`: reads template.yaml (SAM + CloudFormation intrinsics) into dataclasses;
- `infra.services`: the backing services (moto for DynamoDB and Secrets Manager,
  redis-server, the Management API's TLS certificate);
- `infra.runtime`: Lambda (warm worker processes per function), EventBridge schedules,
  and the fault plan tests inject;
- `infra.gateway`: API Gateway (the WebSocket stage, the HTTP API, the Management API,
  their authorizers) as one Starlette app served by uvicorn.

`infra.cli` is the `switchboard` console script; `infra.demo` the demo chat page.
"""

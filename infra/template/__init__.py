"""The SAM template, read: functions (with their asynchronous invocation settings), APIs,
routes, authorizers, tables, queues, alarms and schedules.

`reader` builds the dataclasses the other layers consume; `intrinsics` resolves
CloudFormation's intrinsic functions against a fake, deterministic deployment.
"""

"""The SAM template, read: functions, APIs, routes, authorizers, tables and schedules.

`reader` builds the dataclasses the other layers consume; `intrinsics` resolves
CloudFormation's intrinsic functions against a fake, deterministic deployment.
"""

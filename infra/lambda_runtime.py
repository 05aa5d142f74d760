"""Old home of `infra.runtime.pools`, kept so that imports from other branches still work.

tests/shared (being restructured elsewhere) imports `lambda_environment` from here; once
it imports `infra.runtime.pools`, delete this module.
"""

from infra.runtime.pools import InvokeResult, LambdaRuntime, lambda_environment

__all__ = ["InvokeResult", "LambdaRuntime", "lambda_environment"]

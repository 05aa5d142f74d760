// npm install @aws-sdk/client-lambda
//
// The server API through Lambda's Invoke API (needs lambda:InvokeFunction on the function:
// attach the stack's ServerApiCallerPolicyArn). Region and credentials come from the
// environment, as for any SDK v3 client; against `switchboard local` also set
// AWS_ENDPOINT_URL_LAMBDA to its "Lambda API:" URL and its "AWS credentials:" line.
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";

// One attempt: an invocation whose answer was lost may have run, and not every command is
// safe to repeat.
const lambda = new LambdaClient({ maxAttempts: 1 });
// The stack's ServerApiFunctionArn output (locally the logical id is enough).
const FUNCTION = process.env.SWITCHBOARD_SERVER_API_FUNCTION ?? "ServerApiFunction";

export class ServerApiError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "ServerApiError";
    this.code = code;
  }
}

/** Run `command` with `args`: its result, or a ServerApiError with the answer's code. */
export async function callServerApi(command, args = {}) {
  const { Payload, FunctionError } = await lambda.send(new InvokeCommand({
    FunctionName: FUNCTION,
    Payload: JSON.stringify({ command, args }),
  }));
  const answer = JSON.parse(new TextDecoder().decode(Payload));
  if (FunctionError) throw new ServerApiError("internal_error", answer.errorMessage ?? FunctionError);
  if (!answer.ok) throw new ServerApiError(answer.error.code, answer.error.message);
  return answer.result;
}

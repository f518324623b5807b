import type { Codec } from '@rpc/codec';
import { describeThrown, responseArray, rpcError, type ErrorCounts } from '@rpc/core';
import { RpcError } from '@rpc/loop';
import type { Connection } from '@rpc/msg';

/** The connection is closing or closed: nobody is left to answer, and its caller hears RPC_DISCONNECTED. */
const closing = (failure: unknown): boolean => failure instanceof RpcError && failure.code === 'MSG_CLOSED';

/**
 * Sends an answer (`error` text, or the `values`) for call `id` to `connection`. Values the codec cannot carry, or
 * that do not fit, are replaced by an error text the caller receives (RPC_ANSWER_FAILED); if not even that can be
 * sent, the connection is closed with RPC_ANSWER_FAILED, which is returned for the server to report. Nothing is
 * thrown: a throw would land in the procedure's code, or in a timer's callback with nothing to catch it.
 */
export function sendAnswer(
  connection: Connection,
  codec: Codec,
  answer: { readonly id: number; readonly procedure: string; readonly error: string | null; readonly values: unknown },
  errors: ErrorCounts,
): RpcError | undefined {
  const { id, procedure } = answer;
  let failure: unknown;
  try {
    connection.sendLater(codec.encode(responseArray(id, answer.error, answer.error === null ? answer.values : null)));
    return undefined;
  } catch (thrown) {
    failure = thrown;
  }
  if (connection.closed || closing(failure)) return undefined;
  errors.count('RPC_ANSWER_FAILED');
  const text = `RPC_ANSWER_FAILED: cannot send the values of ${procedure}: ${describeThrown(failure)}`;
  try {
    connection.sendLater(codec.encode(responseArray(id, text, null)));
    return undefined;
  } catch (thrown) {
    failure = thrown;
  }
  if (connection.closed || closing(failure)) return undefined;
  const fatal = rpcError(
    'RPC_ANSWER_FAILED',
    `${text}; nor an error in its place (${describeThrown(failure)}), so the connection was closed`,
    { cause: failure },
  );
  connection.destroy(fatal);
  return fatal;
}

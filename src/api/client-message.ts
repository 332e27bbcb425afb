/**
 * Validates one message a WebSocket client sent (already JSON-parsed) against
 * the protocol's schemas, with an error that names the offending field.
 */
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ValidationError } from '../errors.ts';
import { MAX_WS_SUBSCRIPTION_ID_CHARS } from './limits.ts';
import { type ClientMessage, SUBSCRIBE_SCHEMAS, TOPICS, type Topic, Unsubscribe } from './ws-messages.ts';

const subscribeCheckers = Object.fromEntries(
  TOPICS.map((topic) => [topic, TypeCompiler.Compile(SUBSCRIBE_SCHEMAS[topic])]),
) as { [T in Topic]: ReturnType<typeof TypeCompiler.Compile<(typeof SUBSCRIBE_SCHEMAS)[T]>> };
const unsubscribeChecker = TypeCompiler.Compile(Unsubscribe);

function badMessage(message: string): ValidationError {
  return new ValidationError('BAD_MESSAGE', message, {
    hint: 'send {"op":"subscribe","id":"<your id>","topic":"heads"}; topics: ' + TOPICS.join(', '),
  });
}

/** The message's `id`, if it has a usable one (to address an error reply). */
export function messageId(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return null;
  const id = (value as { id?: unknown }).id;
  return typeof id === 'string' && id.length > 0 && id.length <= MAX_WS_SUBSCRIPTION_ID_CHARS ? id : null;
}

/** Throws `ValidationError` `BAD_MESSAGE` naming the first field that is wrong. */
export function parseClientMessage(value: unknown): ClientMessage {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badMessage('a message must be a JSON object');
  }
  const { op, topic } = value as { op?: unknown; topic?: unknown };
  let checker: { Check(v: unknown): boolean; Errors(v: unknown): Iterable<unknown> & { First(): unknown } };
  if (op === 'unsubscribe') {
    checker = unsubscribeChecker;
  } else if (op === 'subscribe') {
    if (typeof topic !== 'string' || !(TOPICS as string[]).includes(topic)) {
      throw badMessage(`/topic must be one of ${TOPICS.join(', ')}`);
    }
    checker = subscribeCheckers[topic as Topic];
  } else {
    throw badMessage('/op must be "subscribe" or "unsubscribe"');
  }
  if (!checker.Check(value)) {
    const first = checker.Errors(value).First() as { path: string; message: string } | undefined;
    throw badMessage(first === undefined ? 'message is invalid' : `${first.path || '/'} ${first.message}`);
  }
  return value as ClientMessage;
}

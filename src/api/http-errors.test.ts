import { describe, expect, it } from 'vitest';
import {
  DecodeError,
  InvariantViolation,
  MeridianError,
  NotFoundError,
  StoreError,
  ValidationError,
} from '../errors.ts';
import { httpStatusForCode, toHttpError } from './http-errors.ts';

describe('httpStatusForCode', () => {
  it.each([
    ['NOT_FOUND', 404],
    ['BLOCK_NOT_FOUND', 404],
    ['MEMPOOL_FULL', 503],
    ['PEER_UNAVAILABLE', 503],
    ['RATE_LIMITED', 429],
    ['TX_BAD_SIGNATURE', 400],
    ['BAD_HEX', 400],
  ])('%s → %i', (code, status) => {
    expect(httpStatusForCode(code)).toBe(status);
  });
});

describe('toHttpError', () => {
  it('keeps a MeridianError’s code, message, hint and details', () => {
    const error = new ValidationError('TX_NONCE_TOO_LOW', 'nonce 1 is used', {
      hint: 'use 2',
      details: { next: 2 },
    });
    expect(toHttpError(error)).toEqual({
      status: 400,
      body: { code: 'TX_NONCE_TOO_LOW', message: 'nonce 1 is used', hint: 'use 2', details: { next: 2 } },
      headers: {},
      unexpected: false,
    });
  });

  it('maps by class too: NotFoundError → 404 whatever its code, StoreError → 503 with Retry-After', () => {
    expect(toHttpError(new NotFoundError('NO_SUCH_RECORD', 'x')).status).toBe(404);
    const store = toHttpError(new StoreError('LMDB_FAILED', 'x'));
    expect(store.status).toBe(503);
    expect(store.headers['retry-after']).toBe('1');
    expect(toHttpError(new DecodeError('BAD_RLP', 'x')).status).toBe(400);
    expect(toHttpError(new MeridianError('MEMPOOL_FULL', 'x')).headers['retry-after']).toBe('1');
  });

  it('a fastify validation error becomes BAD_REQUEST with the field path', () => {
    const error = Object.assign(new Error('body/tx must match pattern'), {
      statusCode: 400,
      validationContext: 'body',
      validation: [{ instancePath: '/tx', message: 'must match pattern "^0x…"', params: {} }],
    });
    const http = toHttpError(error);
    expect(http.status).toBe(400);
    expect(http.body).toMatchObject({ code: 'BAD_REQUEST', details: { path: 'body/tx' } });
    const missing = Object.assign(new Error('x'), {
      validationContext: 'querystring',
      validation: [
        { instancePath: '', message: "must have required property 'q'", params: { missingProperty: 'q' } },
      ],
    });
    expect(toHttpError(missing).body.details).toEqual({ path: 'querystring/q' });
  });

  it('anything else is 500 INTERNAL, flagged unexpected, with no message or stack in the body', () => {
    for (const error of [
      new Error('secret detail'),
      new InvariantViolation('height went back'),
      'a string',
      null,
    ]) {
      const http = toHttpError(error, 'req-7');
      expect(http.status).toBe(500);
      expect(http.unexpected).toBe(true);
      expect(http.body).toMatchObject({ code: 'INTERNAL', details: { requestId: 'req-7' } });
      expect(JSON.stringify(http.body)).not.toMatch(/secret detail|height went back|at /);
    }
  });
});

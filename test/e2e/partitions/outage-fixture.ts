/**
 * The fixture of the store-failure specs: the three partitions of API.md section 4 with a low
 * `storeTimeout`, a Nest module with a hand-written `@Res()` route, and the check of Nest's 503
 * (a generic body; the detail in the log).
 */
import { expect } from '@jest/globals';
import { Controller, Module, Post, Req, Res } from '@nestjs/common';

import {
  ChunkedSessionModule,
  type ChunkedSessionOptions,
  type SessionStore,
} from '../../../src/index.js';
import type { BrowserResponse } from '../../support/browser.js';
import { FieldsController, SECRET, type LoggedError } from './support.js';

export const STORE_TIMEOUT = 300;
/** The detail of a store failure, as logged. */
export const UNAVAILABLE =
  /^Session store unavailable: (get from|set in|touch in|destroy a record)\b.* failed: .+/;

export function partitionedOptions(store: SessionStore): ChunkedSessionOptions {
  return {
    secret: SECRET,
    storeTimeout: STORE_TIMEOUT,
    sessions: [
      { cookieName: 'csrf', fields: ['csrfToken'], cookie: { sameSite: 'strict' } },
      { cookieName: 'sid', fields: ['user', 'roles'], store },
      { cookieName: 'session', fields: 'auto' },
    ],
  };
}

/** A route that answers by hand (`@Res()`): the response hooks commit, before the interceptor. */
@Controller()
class HandWrittenController {
  @Post('by-hand')
  byHand(
    @Req() req: { session: Record<string, unknown>; body: Record<string, unknown> },
    // `send` of an object answers JSON on Express and on Fastify alike.
    @Res() res: { status(code: number): { send(body: unknown): void } },
  ) {
    Object.assign(req.session, req.body);
    res.status(200).send({ byHand: true });
  }
}

export function outageModule(store: SessionStore) {
  @Module({
    imports: [ChunkedSessionModule.forRoot(partitionedOptions(store))],
    controllers: [FieldsController, HandWrittenController],
  })
  class OutageModule {}
  return OutageModule;
}

/** The whole body of Nest's 503 for a store failure: nothing about the store's error. */
export const UNAVAILABLE_BODY = {
  statusCode: 503,
  error: 'Service Unavailable',
  message: 'Session store unavailable',
  code: 'ERR_SESSION_STORE_UNAVAILABLE',
};

/**
 * Nest's 503 for a store failure: the generic body, no cookie, and `logged` (the errors logged
 * while it was answered) holds exactly one line, in context `ChunkedSession`, with the detail
 * (which operation, which store error), checked by pattern.
 */
export function expectNest503(res: BrowserResponse, logged: LoggedError[], what: RegExp): void {
  expect(res.status).toBe(503);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(res.json).toEqual(UNAVAILABLE_BODY);
  expect(res.setCookies).toEqual([]);
  expect(logged).toEqual([
    { message: expect.stringMatching(UNAVAILABLE), context: 'ChunkedSession' },
  ]);
  expect(logged[0]!.message).toMatch(what);
}

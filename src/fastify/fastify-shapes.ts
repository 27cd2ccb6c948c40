import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The parts of Fastify's request and reply the session uses, written out so that nothing
 * here imports `fastify` at run time (the Nest module loads these files on Express too).
 * Fastify 5: https://fastify.dev/docs/latest/Reference/Request/ and .../Reply/
 */
export interface FastifyRequestShape {
  readonly raw: IncomingMessage;
  readonly headers: IncomingMessage['headers'];
  /** `'https'` behind TLS, or as `X-Forwarded-Proto` says when `trustProxy` is set. */
  readonly protocol: string;
  readonly method: string;
  readonly url: string;
  session: unknown;
  sessionHandle: unknown;
}

export type HeaderValue = string | number | string[] | undefined;

export interface FastifyReplyShape {
  readonly raw: ServerResponse;
  readonly sent: boolean;
  readonly statusCode: number;
  getHeader(name: string): HeaderValue;
  getHeaders(): Record<string, HeaderValue>;
  header(name: string, value: unknown): unknown;
  removeHeader(name: string): unknown;
}

type Done = (error?: unknown) => void;

/** The hooks this library adds, and the decorators it declares, on one Fastify instance. */
export interface FastifyInstanceShape {
  decorateRequest(name: string, value: unknown): unknown;
  hasRequestDecorator(name: string): boolean;
  addHook(
    name: 'onRequest' | 'onResponse',
    hook: (request: FastifyRequestShape, reply: FastifyReplyShape, done: Done) => void,
  ): unknown;
  addHook(
    name: 'onSend',
    hook: (
      request: FastifyRequestShape,
      reply: FastifyReplyShape,
      payload: unknown,
      done: (error: unknown, payload?: unknown) => void,
    ) => void,
  ): unknown;
}

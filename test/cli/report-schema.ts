/**
 * The JSON schema of `inspect --json` (draft 2020-12), written from src/cli/report.ts for users
 * who parse the output, and a check with Ajv. Every object is closed (no property the schema
 * does not name), so a field added or renamed in the report fails here until the schema says so.
 */
import { expect } from '@jest/globals';
import { Ajv2020 } from 'ajv/dist/2020.js';

const isoTime = {
  type: 'string',
  pattern: '^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z$',
};
const nullable = (schema: object) => ({ anyOf: [schema, { type: 'null' }] });
const count = { type: 'integer', minimum: 0 };
const timeout = {
  type: 'object',
  additionalProperties: false,
  required: ['seconds', 'endsAt', 'passed'],
  properties: {
    seconds: { type: 'integer', minimum: 1 },
    endsAt: isoTime,
    passed: { type: 'boolean' },
  },
};

export const REPORT_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://github.com/nestjs-chunked-session/inspect-report.json',
  type: 'object',
  additionalProperties: false,
  required: ['format', 'source', 'keys', 'settings', 'requests', 'ok', 'problems'],
  properties: {
    format: { const: 'nestjs-chunked-session-inspect/1' },
    source: { enum: ['stdin', 'har'] },
    keys: {
      type: 'object',
      additionalProperties: false,
      required: ['encrypt', 'sign'],
      properties: {
        encrypt: {
          type: 'array',
          minItems: 1,
          items: { type: 'string', pattern: '^[0-9a-f]{8}$' },
        },
        sign: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^[0-9a-f]{8}$' } },
      },
    },
    settings: {
      type: 'object',
      additionalProperties: false,
      required: ['idleTimeout', 'absoluteTimeout', 'maxTotalBytes'],
      properties: {
        idleTimeout: { type: 'integer', minimum: 1 },
        absoluteTimeout: { type: 'integer', minimum: 1 },
        maxTotalBytes: { type: 'integer', minimum: 1 },
      },
    },
    requests: { type: 'array', items: { $ref: '#/$defs/request' } },
    ok: { type: 'boolean' },
    problems: { type: 'array', items: { type: 'string', minLength: 1 } },
  },
  $defs: {
    request: {
      type: 'object',
      additionalProperties: false,
      required: [
        'index',
        'method',
        'url',
        'startedAt',
        'status',
        'checkedAt',
        'partitions',
        'header',
        'ok',
      ],
      properties: {
        index: { type: 'integer', minimum: 1 },
        method: nullable({ type: 'string' }),
        url: nullable({ type: 'string' }),
        startedAt: nullable(isoTime),
        status: nullable({ type: 'integer' }),
        checkedAt: isoTime,
        partitions: { type: 'array', items: { $ref: '#/$defs/partition' } },
        header: { $ref: '#/$defs/header' },
        ok: { type: 'boolean' },
      },
    },
    partition: {
      type: 'object',
      additionalProperties: false,
      required: [
        'cookieName',
        'verdict',
        'ok',
        'reason',
        'chunks',
        'expectedChunks',
        'complete',
        'format',
        'protection',
        'keyId',
        'keyIndex',
        'createdAt',
        'writtenAt',
        'idleTimeout',
        'absoluteTimeout',
        'storeId',
        'data',
      ],
      properties: {
        cookieName: { type: 'string', minLength: 1 },
        verdict: {
          enum: [
            'ok',
            'absent',
            'dropped',
            'truncated',
            'mixed',
            'malformed',
            'unknown-key',
            'tampered',
            'bad-envelope',
            'expired-idle',
            'expired-absolute',
            'clock-skew',
          ],
        },
        ok: { type: 'boolean' },
        reason: { type: 'string', minLength: 1 },
        chunks: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name', 'bytes', 'setBy'],
            properties: {
              name: { type: 'string' },
              bytes: count,
              setBy: nullable({ type: 'integer', minimum: 1 }),
            },
          },
        },
        expectedChunks: nullable({ type: 'integer', minimum: 1 }),
        complete: { type: 'boolean' },
        format: nullable({ enum: [1, 2] }),
        protection: nullable({ enum: ['encrypt', 'sign'] }),
        keyId: nullable({ type: 'string', pattern: '^[0-9a-f]{8}$' }),
        keyIndex: nullable(count),
        createdAt: nullable(isoTime),
        writtenAt: nullable(isoTime),
        idleTimeout: nullable(timeout),
        absoluteTimeout: nullable(timeout),
        storeId: nullable({ type: 'string' }),
        data: nullable({ type: 'object' }),
      },
      // An ok partition that has a cookie says who sealed it; one that does not open says why.
      if: { properties: { verdict: { const: 'ok' } } },
      then: { properties: { keyId: { type: 'string' }, keyIndex: count, createdAt: isoTime } },
    },
    header: {
      type: 'object',
      additionalProperties: false,
      required: [
        'bytes',
        'cookies',
        'largestCookie',
        'userAgent',
        'browser',
        'limits',
        'maxTotalBytes',
        'problems',
        'fits',
      ],
      properties: {
        bytes: count,
        cookies: count,
        largestCookie: nullable({
          type: 'object',
          additionalProperties: false,
          required: ['name', 'bytes'],
          properties: { name: { type: 'string' }, bytes: count },
        }),
        userAgent: nullable({ type: 'string' }),
        browser: { type: 'string' },
        limits: {
          type: 'object',
          additionalProperties: false,
          required: ['maxCookieBytes', 'countsAttributes', 'maxCookies', 'maxTotalBytes'],
          properties: {
            maxCookieBytes: count,
            countsAttributes: { type: 'boolean' },
            maxCookies: count,
            maxTotalBytes: count,
            maxResponseHeaderBytes: count,
          },
        },
        maxTotalBytes: { type: 'integer', minimum: 1 },
        problems: { type: 'array', items: { type: 'string' } },
        fits: { type: 'boolean' },
      },
    },
  },
} as const;

const validate = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true }).compile(
  REPORT_SCHEMA,
);

/** Fails the test with Ajv's errors when `report` does not follow the schema. */
export function expectValidReport(report: unknown): void {
  const valid = validate(report);
  expect(valid ? [] : validate.errors).toEqual([]);
}

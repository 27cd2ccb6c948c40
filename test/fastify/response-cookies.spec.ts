import { describe, expect, it } from '@jest/globals';
import { cookiesAfterResponse } from '../../src/fastify/response-cookies.js';

const NOW = Date.UTC(2026, 0, 1);
const request = {
  values: new Map([
    ['a', '1'],
    ['b', '22'],
    ['c', '333'],
  ]),
  pairs: [
    { name: 'a', bytes: 3 },
    { name: 'b', bytes: 4 },
    { name: 'c', bytes: 5 },
  ],
};

describe('the cookies the browser holds once a response is applied, for the budget', () => {
  it('is the request’s own when the response sets none', () => {
    expect(cookiesAfterResponse(request, [], NOW)).toBe(request.pairs);
  });

  it('replaces a cookie set again, adds a new one, counting name=value in bytes', () => {
    expect(
      cookiesAfterResponse(request, ['b=4444; Path=/; HttpOnly', 'é=xyz; Path=/'], NOW),
    ).toEqual([
      { name: 'a', bytes: 3 },
      { name: 'c', bytes: 5 },
      { name: 'b', bytes: 6 },
      { name: 'é', bytes: 6 },
    ]);
  });

  it('removes what a line deletes: Max-Age 0 or below, or Expires in the past', () => {
    expect(
      cookiesAfterResponse(
        request,
        [
          'a=; Max-Age=0; Path=/',
          'b=x; Max-Age=-1',
          'c=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT',
          'd=kept; Expires=Fri, 01 Jan 2027 00:00:00 GMT; Max-Age=60',
        ],
        NOW,
      ),
    ).toEqual([{ name: 'd', bytes: 6 }]);
  });

  it('passes over lines without a name', () => {
    expect(cookiesAfterResponse(request, ['=nameless', 'garbage'], NOW)).toEqual(request.pairs);
  });
});

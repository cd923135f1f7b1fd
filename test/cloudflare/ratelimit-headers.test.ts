import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRateLimitHeaders } from '../../src/cloudflare/ratelimit-headers.js';

describe('parseRateLimitHeaders', () => {
  it.each([
    [
      'Cloudflare’s shape',
      '"default";r=50;t=30',
      '"default";q=1200;w=300',
      { remaining: 50, resetSeconds: 30, quota: 1200, windowSeconds: 300 },
    ],
    ['no policy', '"default";r=50;t=30', undefined, { remaining: 50, resetSeconds: 30 }],
    [
      'a token name, spaces',
      ' default ; r = 7 ; t = 3 ',
      'default;q=100;w=60',
      { remaining: 7, resetSeconds: 3, quota: 100, windowSeconds: 60 },
    ],
    [
      'several items: the fewest left, with its own policy',
      '"default";r=900;t=200, "burst";r=5;t=40',
      '"default";q=1200;w=300, "burst";q=100;w=60',
      { remaining: 5, resetSeconds: 40, quota: 100, windowSeconds: 60 },
    ],
    ['a tie: the longer wait', '"a";r=5;t=10, "b";r=5;t=90', undefined, { remaining: 5, resetSeconds: 90 }],
    [
      'no matching name: the smallest quota',
      '"x";r=5;t=10',
      '"a";q=1200;w=300, "b";q=100;w=60',
      { remaining: 5, resetSeconds: 10, quota: 100, windowSeconds: 60 },
    ],
    ['header given twice (an array)', ['"a";r=50;t=10', '"b";r=3;t=20'], undefined, { remaining: 3, resetSeconds: 20 }],
    [
      'junk items beside a good one',
      'garbage, "ok";r=4;t=2, ;;;, "x";r=-1;t=2',
      '"ok";q=abc',
      { remaining: 4, resetSeconds: 2 },
    ],
    [
      'a comma inside a quoted name',
      '"a,b";r=4;t=2',
      '"a,b";q=10;w=5',
      { remaining: 4, resetSeconds: 2, quota: 10, windowSeconds: 5 },
    ],
  ])('%s', (_name, ratelimit, policy, expected) => {
    expect(parseRateLimitHeaders(ratelimit, policy)).toEqual(expected);
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['no t', '"default";r=50'],
    ['no r', '"default";t=50'],
    ['not numbers', '"default";r=fifty;t=30'],
    ['fractions', '"default";r=1.5;t=30'],
    ['absurd', '"default";r=99999999999;t=30'],
    ['an older draft’s single number', '50'],
  ])('ignores %s', (_name, ratelimit) => {
    expect(parseRateLimitHeaders(ratelimit, '"default";q=1200;w=300')).toBeUndefined();
  });

  it('never throws on any input and only ever reports non-negative integers', () => {
    const header = fc.oneof(
      fc.constant(undefined),
      fc.string(),
      fc.array(fc.string(), { maxLength: 3 }),
      // Near misses of the real syntax, where a parser is likeliest to trip.
      fc
        .array(
          fc.tuple(
            fc.oneof(fc.constantFrom('"default"', 'burst', '"', '""', ''), fc.string({ maxLength: 5 })),
            fc.array(
              fc.tuple(
                fc.constantFrom('r', 't', 'q', 'w', 'x', ''),
                fc.oneof(fc.nat().map(String), fc.string({ maxLength: 4 })),
              ),
              { maxLength: 4 },
            ),
          ),
          { maxLength: 4 },
        )
        .map((items) =>
          items.map(([name, params]) => [name, ...params.map(([k, v]) => `${k}=${v}`)].join(';')).join(', '),
        ),
    );
    fc.assert(
      fc.property(header, header, (ratelimit, policy) => {
        const observation = parseRateLimitHeaders(ratelimit, policy);
        if (observation === undefined) return;
        for (const value of Object.values(observation)) {
          expect(Number.isInteger(value) && value >= 0).toBe(true);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('reads back any well-formed pair it is given', () => {
    fc.assert(
      fc.property(
        fc.nat(1_000_000),
        fc.nat(86_400),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 1, max: 86_400 }),
        (r, t, q, w) => {
          expect(parseRateLimitHeaders(`"default";r=${r};t=${t}`, `"default";q=${q};w=${w}`)).toEqual({
            remaining: r,
            resetSeconds: t,
            quota: q,
            windowSeconds: w,
          });
        },
      ),
    );
  });
});

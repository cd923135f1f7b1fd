import { describe, expect, it } from 'vitest';
import { KNOWN_STATUSES } from '../src/cloudflare/schema.js';
import { loadConfig } from '../src/config.js';
import { hasEnded, jobButtons, mayCancel, someoneMayCancel } from '../src/rules.js';

const ENDED = ['COMPLETED', 'FAILED', 'CANCELLED', 'SKIPPED'];
const access = (writeUsers?: string) =>
  loadConfig({
    SLACK_BOT_TOKEN: 'xoxb-1',
    SLACK_SIGNING_SECRET: 's',
    CLOUDFLARE_ACCOUNT_ID: 'a',
    CLOUDFLARE_API_TOKEN: 't',
    ...(writeUsers === undefined ? {} : { BULKJOB_WRITE_USERS: writeUsers }),
  }).access;

describe('the domain rules', () => {
  it('a job has ended in COMPLETED, FAILED, CANCELLED and SKIPPED only; unknown statuses still run', () => {
    for (const status of KNOWN_STATUSES) expect(hasEnded({ status })).toBe(ENDED.includes(status));
    expect(hasEnded({ status: 'SOMETHING_NEW' })).toBe(false);
  });

  it('only BULKJOB_WRITE_USERS may cancel; nobody when it is empty', () => {
    expect(mayCancel(access('U1111,U2222'), 'U1111')).toBe(true);
    expect(mayCancel(access('U1111,U2222'), 'U3333')).toBe(false);
    expect(mayCancel(access(), 'U1111')).toBe(false);
    expect(someoneMayCancel(access('U1111'))).toBe(true);
    expect(someoneMayCancel(access())).toBe(false);
  });

  it('offers Stop watching while watched, Watch while running and unwatched, Cancel while running to who may', () => {
    for (const status of [...KNOWN_STATUSES, 'SOMETHING_NEW']) {
      for (const may of [false, true]) {
        for (const watching of [false, true]) {
          const running = !ENDED.includes(status);
          expect(jobButtons({ status }, { mayCancel: may, watching }), `${status} ${may} ${watching}`).toEqual({
            stopWatching: watching,
            watch: running && !watching,
            cancel: running && may,
          });
        }
      }
    }
  });
});

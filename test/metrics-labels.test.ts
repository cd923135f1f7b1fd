/** The metrics' label values: bounded sets, never an id. */
import { describe, expect, it } from 'vitest';
import {
  BotError,
  BudgetExhaustedError,
  CloudflareApiError,
  CloudflareNetworkError,
  CloudflareSchemaError,
  CloudflareSlowError,
  InputError,
  NotAllowedError,
  SlackApiError,
} from '../src/errors.js';
import { ExportStoppedError } from '../src/features/export/export.js';
import { cloudflareEndpoint, exportOutcomeOf, outcomeOf, safeLabel } from '../src/metrics-labels.js';

const GET = { method: 'GET', path: '/bulk/x' };
const JOB = '182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e';

describe('outcomeOf', () => {
  it.each<[string, unknown, string]>([
    ['no error', undefined, 'ok'],
    ['not on the allow list', new NotAllowedError('user'), 'refused'],
    ['no cancel rights', new NotAllowedError('write'), 'refused'],
    ['bad input', new InputError('`abc` is not a job ID'), 'user_error'],
    ['a job Cloudflare does not have', new CloudflareApiError(404, [], GET), 'user_error'],
    ['Cloudflare 5xx', new CloudflareApiError(503, [], GET), 'upstream_error'],
    ['Cloudflare refused the token', new CloudflareApiError(403, [], GET), 'upstream_error'],
    ['Cloudflare unreachable', new CloudflareNetworkError(GET, new Error('reset')), 'upstream_error'],
    ['Cloudflare slow', new CloudflareSlowError(GET, 8_000), 'upstream_error'],
    ['Cloudflare unreadable', new CloudflareSchemaError(GET, []), 'upstream_error'],
    ['our budget spent', new BudgetExhaustedError(30), 'upstream_error'],
    ['Slack refused', new SlackApiError('chat.postMessage', 'refused', 'not_in_channel'), 'upstream_error'],
    ['the store', new BotError('store_busy', 'busy'), 'error'],
    ['a bug', new TypeError('x is undefined'), 'error'],
  ])('%s → %s', (_name, error, outcome) => {
    expect(outcomeOf(error)).toBe(outcome);
  });

  it('an export stopped by its requester is `stopped`, not a user error', () => {
    expect(exportOutcomeOf(new ExportStoppedError())).toBe('stopped');
    expect(exportOutcomeOf(undefined)).toBe('ok');
    expect(exportOutcomeOf(new CloudflareApiError(500, [], GET))).toBe('upstream_error');
  });
});

describe('cloudflareEndpoint: a template, never the job id', () => {
  it.each<[string, string]>([
    ['', 'jobs'],
    ['/', 'jobs'],
    [`/${JOB}`, 'job'],
    [`/${JOB.toUpperCase()}`, 'job'],
    [`/${JOB}/messages`, 'messages'],
    [`/${JOB}/cancel`, 'cancel'],
    [`/${JOB}/retry`, 'other'],
    ['/not-a-job', 'other'],
    [`/${JOB}/messages/extra`, 'other'],
  ])('%j → %s', (suffix, endpoint) => {
    expect(cloudflareEndpoint(suffix)).toBe(endpoint);
  });
});

describe('safeLabel', () => {
  it.each<[string, string]>([
    ['nav_next', 'nav_next'],
    ['chat.postMessage', 'chat.postMessage'],
    ['http_503', 'http_503'],
    ['has space', 'other'],
    [JOB, 'other'],
    ['', 'other'],
    ['x'.repeat(65), 'other'],
  ])('%j → %s', (value, label) => {
    expect(safeLabel(value)).toBe(label);
  });
});

import { describe, expect, it } from 'vitest';
import { COLUMNS, domainOf, neutralise, toRow } from '../../../src/features/export/csv.js';
import { expectedRows } from '../../../src/features/export/export.js';
import { makeFailedMessage, makeJob, makeMessage } from '../../helpers/block-factory.js';

describe('CSV rows', () => {
  it('has the columns analysts asked for, in order, with times in ISO 8601 UTC', () => {
    expect(COLUMNS).toEqual([
      'message_id',
      'recipient',
      'status',
      'action',
      'destination',
      'processed_at',
      'retry_count',
      'retry_after',
      'status_message',
      'alert_id',
      'email_message_id',
      'postfix_id',
      'created_at',
    ]);
    const row = toRow(makeFailedMessage(7, { retry_after: '2026-03-01T14:30:00+01:00' }));
    expect(row).toEqual([
      'msg-7',
      'user7@example.com',
      'FAILED',
      'MOVE',
      'DeletedItems',
      '',
      '3',
      '2026-03-01T13:30:00.000Z',
      'Mailbox not found',
      '',
      '',
      'postfix-7',
      '2026-03-01T12:00:40Z',
    ]);
  });

  it.each(['=HYPERLINK("http://evil")', '+1+1', '-2', '@SUM(A1)', '\tx', '\rx'])(
    'neutralises %j, which a spreadsheet would run as a formula',
    (cell) => {
      expect(neutralise(cell)).toBe(`'${cell}`);
      const row = toRow(makeMessage(1, { status_message: cell }));
      expect(row[COLUMNS.indexOf('status_message')]).toBe(`'${cell}`);
    },
  );

  it('leaves ordinary text alone', () => {
    expect(neutralise('Mailbox not found')).toBe('Mailbox not found');
    expect(neutralise('a=b')).toBe('a=b');
  });

  it('takes the domain of a recipient, lower-cased', () => {
    expect(domainOf('Jane.Doe@Example-Corp.COM')).toBe('example-corp.com');
    expect(domainOf('no address')).toBeUndefined();
    expect(domainOf(undefined)).toBeUndefined();
  });

  it('expects as many rows as the counts give, or cannot say', () => {
    const job = makeJob();
    expect(expectedRows(job, undefined)).toBe(1000);
    expect(expectedRows(job, 'FAILED')).toBe(20);
    expect(expectedRows(job, 'DISCOVERING' as never)).toBeUndefined();
    expect(expectedRows(makeJob({ messages_failed: -1 }), 'FAILED')).toBeUndefined();
  });
});

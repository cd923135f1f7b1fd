import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COLUMNS, csvHeader, csvRecords, domainOf, neutralise, toRow } from '../../../src/features/export/csv.js';
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

/**
 * RFC 4180 read by the letter, as the test's own oracle (not the library that wrote the text): records end in
 * CRLF; a quoted field may hold commas, CR, LF and doubled quotes; an unquoted one holds none of them.
 */
function readRfc4180(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let i = 0;
  while (i < text.length) {
    let field = '';
    if (text[i] === '"') {
      i += 1;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quoted field');
        if (text[i] === '"' && text[i + 1] === '"') {
          field += '"';
          i += 2;
        } else if (text[i] === '"') {
          i += 1;
          break;
        } else field += text[i++];
      }
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== '\r') {
        if (text[i] === '"' || text[i] === '\n') throw new Error(`bare ${JSON.stringify(text[i])} at ${i}`);
        field += text[i++];
      }
    }
    record.push(field);
    if (text[i] === ',') i += 1;
    else if (text.startsWith('\r\n', i)) {
      records.push(record);
      record = [];
      i += 2;
    } else throw new Error(`expected , or CRLF at ${i}`);
  }
  if (record.length > 0) throw new Error('last record not terminated by CRLF');
  return records;
}

describe('CSV text', () => {
  it('is a header and one CRLF-terminated record per message, quoted only where RFC 4180 needs it', () => {
    expect(csvHeader()).toBe(`${COLUMNS.join(',')}\r\n`);
    const reasons = ['Quota exceeded, try later', 'He said "no"', 'line one\r\nline two\nthree'];
    const messages = reasons.map((reason, n) => makeMessage(n, { status_message: reason }));
    const text = csvRecords(messages.map(toRow));
    expect(text.split('\r\n')[0]).toContain(',"Quota exceeded, try later",');
    expect(text).toContain(',"He said ""no""",');
    expect(text.split('\r\n')[0]).toBe(
      toRow(messages[0]!)
        .map((cell) => (cell.includes(',') ? `"${cell}"` : cell))
        .join(','),
    );
    expect(readRfc4180(text)).toEqual(messages.map(toRow));
    expect(csvRecords([])).toBe('');
  });

  it('reads back, field for field, whatever the text of the email (neutralised where it starts a formula)', () => {
    const anyText = fc.string({ unit: 'grapheme', maxLength: 40 });
    const tricky = fc.constantFrom('', ',', '"', '""', '\r', '\n', '\r\n', ' padded ', '=1+1', '\ufeff', 'é,"\n');
    const cell = fc.oneof(
      anyText,
      tricky,
      fc.tuple(tricky, anyText, tricky).map((parts) => parts.join('')),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(cell, cell, cell), { minLength: 1, maxLength: 5 }), (cells) => {
        const messages = cells.map(([reason, recipient, alert], n) =>
          makeMessage(n, {
            status_message: reason,
            alert_id: alert,
            action_params: { type: 'MOVE', destination: 'Inbox', client_recipient: recipient },
          }),
        );
        expect(readRfc4180(`${csvHeader()}${csvRecords(messages.map(toRow))}`)).toEqual([
          [...COLUMNS],
          ...messages.map(toRow),
        ]);
      }),
    );
  });
});

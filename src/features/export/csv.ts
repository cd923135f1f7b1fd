/**
 * A job's messages as CSV: the columns analysts attach to a ticket or retry by hand. Quoting is Papa Parse's
 * (RFC 4180: a cell holding a comma, a quote or a line break is quoted, its quotes doubled; records end in
 * CRLF); what is ours is the choice of columns, times in ISO 8601 UTC, and neutralising cells a spreadsheet
 * would run as a formula: these texts come from email, and analysts open the file in Excel.
 */
import Papa from 'papaparse';
import type { Message } from '../../cloudflare/schema.js';

export const COLUMNS = [
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
] as const;

/** A cell starting with one of these is a formula to Excel, LibreOffice and Sheets. */
const FORMULA_START = /^[=+\-@\t\r]/;

/** A leading apostrophe makes a spreadsheet show the text as text; the text itself is kept whole. */
export function neutralise(cell: string): string {
  return FORMULA_START.test(cell) ? `'${cell}` : cell;
}

/** Already ISO 8601 in UTC, as Cloudflare sends its times: kept as it is (no parse for 100,000 rows). */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;

/** ISO 8601 UTC when the value is a time; else the value as it came (neutralised like any text). */
function isoTime(value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '';
  if (ISO_UTC.test(value)) return value;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? neutralise(value) : new Date(ms).toISOString();
}

function text(value: unknown): string {
  if (value === null || value === undefined) return '';
  return neutralise(String(value));
}

export function toRow(message: Message): string[] {
  const params = message.action_params as { destination?: unknown; client_recipient?: unknown };
  return [
    text(message.message_id),
    text(params.client_recipient),
    text(message.status),
    text(message.action_type),
    text(params.destination),
    isoTime(message.processed_at),
    String(Number.isFinite(message.retry_count) ? message.retry_count : ''),
    isoTime(message.retry_after),
    text(message.status_message),
    text(message.alert_id),
    text(message.email_message_id),
    text(message.postfix_id),
    isoTime(message.created_at),
  ];
}

/** RFC 4180's record separator; formula cells are neutralised by `toRow`, not by the library. */
const UNPARSE: Papa.UnparseConfig = { newline: '\r\n', quotes: false, escapeFormulae: false };

/** The header record, CRLF-terminated. */
export function csvHeader(): string {
  return `${Papa.unparse([[...COLUMNS]], UNPARSE)}\r\n`;
}

/** One record per row (`toRow`), each CRLF-terminated; a page of 1,000 in one call (a few ms). */
export function csvRecords(rows: readonly string[][]): string {
  return rows.length === 0 ? '' : `${Papa.unparse(rows as string[][], UNPARSE)}\r\n`;
}

/** The domain of a recipient address, lower-cased, for "top recipient domains among failures". */
export function domainOf(recipient: unknown): string | undefined {
  if (typeof recipient !== 'string') return undefined;
  const at = recipient.lastIndexOf('@');
  if (at < 0 || at === recipient.length - 1) return undefined;
  return recipient
    .slice(at + 1)
    .trim()
    .toLowerCase();
}

/**
 * Zod schemas for the Cloudflare Email Security bulk-job endpoints, written from Cloudflare's OpenAPI schema
 * (`email_security_get_bulk_jobs`, `…_get_bulk_job`, `…_get_bulk_job_messages`, `…_cancel_bulk_job`).
 *
 * The API is marked beta and its enums will grow, so every enum is read as a plain string: a status or a
 * destination we have never seen must render as-is, never fail validation. Unknown object keys pass through.
 */
import { z } from 'zod';

/** The job and message statuses the schema lists today. Others may arrive and are kept as strings. */
export const KNOWN_STATUSES = [
  'PENDING',
  'DISCOVERING',
  'PROCESSING',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'SKIPPED',
] as const;
export type KnownStatus = (typeof KNOWN_STATUSES)[number];

export const KNOWN_ACTION_TYPES = ['MOVE', 'RELEASE'] as const;

/**
 * Job and message ids are UUIDs. Any UUID-shaped id is accepted, not only version 4: `z.uuid()` would
 * reject other versions, `z.guid()` does not.
 */
export const IdSchema = z.guid();

const DateTimeSchema = z.string();
const NullableString = z.string().nullish();

/** `email-security_BulkJobActionParams`: MOVE carries a destination; other types may carry anything. */
export const JobActionParamsSchema = z
  .looseObject({
    type: z.string(),
    destination: z.string().optional(),
    expected_disposition: z.string().optional(),
  })
  .catch({ type: 'UNKNOWN' });

/** `email-security_BulkMessageActionParams`: as above, plus the recipient (personal data). */
export const MessageActionParamsSchema = z.looseObject({
  type: z.string(),
  destination: z.string().optional(),
  expected_disposition: z.string().optional(),
  client_recipient: z.string().optional(),
});

/** `email-security_BulkJobDetail`. */
export const JobSchema = z.looseObject({
  job_id: IdSchema,
  action_type: z.string(),
  action_params: JobActionParamsSchema,
  search_params: z.looseObject({}).nullish(),
  status: z.string(),
  status_message: NullableString,
  comment: NullableString,
  total_messages_discovered: z.number().int(),
  messages_pending: z.number().int(),
  messages_successful: z.number().int(),
  messages_failed: z.number().int(),
  /** Newer than our OpenAPI extract: Cloudflare now sends it on cancelled jobs; optional, never relied on. */
  messages_cancelled: z.number().int().optional(),
  created_at: DateTimeSchema,
  started_at: DateTimeSchema.nullish(),
  completed_at: DateTimeSchema.nullish(),
});
export type Job = z.infer<typeof JobSchema>;

/** `email-security_BulkActionMessageDetail`. */
export const MessageSchema = z.looseObject({
  message_id: z.string(),
  postfix_id: z.string(),
  action_type: z.string(),
  action_params: MessageActionParamsSchema,
  status: z.string(),
  status_message: NullableString,
  retry_count: z.number().int(),
  retry_after: DateTimeSchema.nullish(),
  created_at: DateTimeSchema,
  processed_at: DateTimeSchema.nullish(),
  alert_id: NullableString,
  email_message_id: NullableString,
});
export type Message = z.infer<typeof MessageSchema>;

/** `email-security_messages`: the `errors` / `messages` arrays of every envelope. */
export const ApiMessageSchema = z.looseObject({
  code: z.number().int(),
  message: z.string(),
  documentation_url: z.string().optional(),
});
export type ApiMessage = z.infer<typeof ApiMessageSchema>;

/**
 * `email-security_CursorResultInfo`. `page` and `total_count` are deprecated and always 0 (end of life
 * 2026-11-01): they are read here only so that their presence is tolerated, and never used.
 */
export const ResultInfoSchema = z.looseObject({
  count: z.number().int(),
  per_page: z.number().int(),
  total_count: z.number().int().optional(),
  page: z.number().int().optional(),
  next: z.string().nullish(),
  previous: z.string().nullish(),
});

const envelope = <T extends z.ZodType>(result: T) =>
  z.looseObject({
    success: z.literal(true),
    errors: z.array(ApiMessageSchema),
    messages: z.array(ApiMessageSchema),
    result,
  });

export const JobEnvelopeSchema = envelope(JobSchema);
export const JobListEnvelopeSchema = envelope(z.array(JobSchema)).extend({ result_info: ResultInfoSchema });
export const MessageListEnvelopeSchema = envelope(z.array(MessageSchema)).extend({ result_info: ResultInfoSchema });

/** `email-security_api-response-common-failure`, read leniently: any shape with an `errors` array. */
export const FailureEnvelopeSchema = z.looseObject({
  success: z.literal(false).optional(),
  errors: z.array(ApiMessageSchema),
});

/**
 * `/bulkjob` and `/bulkjob help`: the grammar in docs/design.md, "What users see", with examples.
 */
import { KNOWN_STATUSES } from '../../cloudflare/schema.js';
import { EXAMPLE_JOB_ID, escapeMrkdwn } from '../../errors.js';
import { buildContext, buildFallbackText, buildHeader, buildSection } from '../../slack/blocks/builders.js';
import type { SlackMessage } from '../../slack/blocks/types.js';
import { COMMAND } from '../../slack/ids.js';

/** Usage of `/bulkjob`: every form, valid statuses, and that a pasted URL works. */
export function renderHelp(): SlackMessage {
  const statuses = KNOWN_STATUSES.map((s) => `\`${s.toLowerCase()}\``).join(', ');
  // `<job>` must be escaped even inside a code span: Slack reads `<…>` as a link or mention anywhere.
  const usage = [
    `\`${COMMAND} <job>\` — a job's summary and its messages, page by page`,
    `\`${COMMAND} <job> <status>\` — only the messages with that status, e.g. failed`,
    `\`${COMMAND} list [status]\` — recent jobs, newest first`,
    `\`${COMMAND} watch <job>\` — a live status card in this channel, updated until the job ends`,
    `\`${COMMAND} export <job> [status]\` — every message as a CSV file, sent to your direct messages only`,
    `\`${COMMAND} help\` — this help`,
  ]
    .map(escapeMrkdwn)
    .join('\n');
  const examples = [
    `\`${COMMAND} ${EXAMPLE_JOB_ID}\``,
    `\`${COMMAND} ${EXAMPLE_JOB_ID} failed\``,
    `\`${COMMAND} list processing\``,
    `\`${COMMAND} watch ${EXAMPLE_JOB_ID}\``,
    `\`${COMMAND} export ${EXAMPLE_JOB_ID} failed\``,
  ].join('\n');
  return {
    text: buildFallbackText(
      escapeMrkdwn(
        `Usage: ${COMMAND} <job> [status] · ${COMMAND} list [status] · ${COMMAND} watch <job> · ${COMMAND} export <job> [status] · ${COMMAND} help`,
      ),
    ),
    blocks: [
      buildHeader(`:mag: ${COMMAND} — follow Cloudflare bulk action jobs`),
      buildSection(`*Usage*\n${usage}`),
      buildSection(`*Examples*\n${examples}`),
      buildSection(
        `*Statuses*: ${statuses}\n*Job*: a job ID such as \`${EXAMPLE_JOB_ID}\`, or any text that contains one — ` +
          'paste a URL or a line from an alert and bulkjob finds the ID in it.',
      ),
      buildContext([
        'In a job view, use the buttons to page, show failed messages only, refresh, share a status card to the channel, watch the job, or export it to CSV.',
      ]),
    ],
  };
}

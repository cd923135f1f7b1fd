import { describe, expect, it } from 'vitest';
import { escapeMrkdwn } from '../../../src/errors.js';
import { renderHelp } from '../../../src/features/help/blocks.js';
import { renderError } from '../../../src/slack/blocks/error.js';
import { findLimitViolations } from '../../../src/slack/blocks/limits.js';
import { collectText, findUnsafeMarkup } from '../../helpers/block-factory.js';

describe('renderHelp', () => {
  it('shows every command form, an example job id, the statuses and that URLs work', () => {
    const help = renderHelp();
    expect(findUnsafeMarkup(help)).toEqual([]);
    expect(help).toMatchInlineSnapshot(`
      {
        "blocks": [
          {
            "text": {
              "emoji": true,
              "text": ":mag: /bulkjob — follow Cloudflare bulk action jobs",
              "type": "plain_text",
            },
            "type": "header",
          },
          {
            "text": {
              "text": "*Usage*
      \`/bulkjob &lt;job&gt;\` — a job's summary and its messages, page by page
      \`/bulkjob &lt;job&gt; &lt;status&gt;\` — only the messages with that status, e.g. failed
      \`/bulkjob list [status]\` — recent jobs, newest first
      \`/bulkjob watch &lt;job&gt;\` — a live status card in this channel, updated until the job ends
      \`/bulkjob export &lt;job&gt; [status]\` — every message as a CSV file, sent to your direct messages only
      \`/bulkjob help\` — this help",
              "type": "mrkdwn",
              "verbatim": true,
            },
            "type": "section",
          },
          {
            "text": {
              "text": "*Examples*
      \`/bulkjob 182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e\`
      \`/bulkjob 182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e failed\`
      \`/bulkjob list processing\`
      \`/bulkjob watch 182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e\`
      \`/bulkjob export 182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e failed\`",
              "type": "mrkdwn",
              "verbatim": true,
            },
            "type": "section",
          },
          {
            "text": {
              "text": "*Statuses*: \`pending\`, \`discovering\`, \`processing\`, \`completed\`, \`failed\`, \`cancelled\`, \`skipped\`
      *Job*: a job ID such as \`182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e\`, or any text that contains one — paste a URL or a line from an alert and bulkjob finds the ID in it.",
              "type": "mrkdwn",
              "verbatim": true,
            },
            "type": "section",
          },
          {
            "elements": [
              {
                "text": "In a job view, use the buttons to page, show failed messages only, refresh, share a status card to the channel, watch the job, or export it to CSV.",
                "type": "mrkdwn",
                "verbatim": true,
              },
            ],
            "type": "context",
          },
        ],
        "text": "Usage: /bulkjob &lt;job&gt; [status] · /bulkjob list [status] · /bulkjob watch &lt;job&gt; · /bulkjob export &lt;job&gt; [status] · /bulkjob help",
      }
    `);
    expect(findLimitViolations(help)).toEqual([]);
  });

  it('mentions each grammar form', () => {
    const text = collectText(renderHelp());
    for (const form of [
      '/bulkjob <job>',
      '/bulkjob <job> <status>',
      '/bulkjob list [status]',
      '/bulkjob watch <job>',
      '/bulkjob help',
    ]) {
      expect(text).toContain(form.replaceAll('<', '&lt;').replaceAll('>', '&gt;'));
    }
    expect(text).toContain('182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e');
    expect(text).toContain('`cancelled`');
    expect(text).toContain('URL');
  });
});

describe('renderError', () => {
  it('shows the text after a warning sign', () => {
    expect(renderError('`abc` is not a job ID.')).toMatchInlineSnapshot(`
      {
        "blocks": [
          {
            "text": {
              "text": ":warning: \`abc\` is not a job ID.",
              "type": "mrkdwn",
              "verbatim": true,
            },
            "type": "section",
          },
        ],
        "text": "\`abc\` is not a job ID.",
      }
    `);
  });

  it('fits a very long text without leaving half an entity', () => {
    const error = renderError(escapeMrkdwn(`<!channel> ${'&'.repeat(5000)}`));
    expect(findLimitViolations(error)).toEqual([]);
    expect(findUnsafeMarkup(error)).toEqual([]);
  });

  it('never sends an empty message', () => {
    expect(findLimitViolations(renderError(''))).toEqual([]);
  });
});

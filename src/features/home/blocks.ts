/**
 * The Home tab (views.publish, up to 100 blocks): your watches with their progress and a Stop button, the
 * cards you shared lately, recent jobs with View, and the job you picked. Only you see your Home tab, but it
 * shows no recipient: it has no messages as input, and upstream text is escaped like everywhere else.
 */

import { estimatePace } from '../../progress.js';
import { buildContext, buildDivider, buildHeader, buildSection } from '../../slack/blocks/builders.js';
import { escapeOneLine, formatSlackDate, formatUser, pluralize, progressBar } from '../../slack/blocks/format.js';
import {
  buildJobSummary,
  countDone,
  formatJobAction,
  formatJobCounts,
  formatJobId,
  formatOutcome,
  formatPace,
} from '../../slack/blocks/job-summary.js';
import type { Block } from '../../slack/blocks/types.js';
import { COMMAND } from '../../slack/ids.js';
import { homeStopButton, homeViewButton } from './buttons.js';
import type { HomeData } from './load.js';

export interface HomeView {
  type: 'home';
  blocks: Block[];
}

function channelOf(channel: string): string {
  return /^[CGD][A-Z0-9]{2,40}$/.test(channel) ? `<#${channel}>` : escapeOneLine(channel, 40);
}

export function renderHome(data: HomeData): HomeView {
  const blocks: Block[] = [buildHeader(':mag: bulkjob')];
  if (data.note) blocks.push(buildSection(escapeOneLine(data.note, 500)));

  if (data.selected) {
    blocks.push(...buildJobSummary(data.selected, { now: data.now, mask: true }));
    blocks.push(
      buildContext([
        `Run \`${COMMAND} ${escapeOneLine(data.selected.job_id, 60)}\` in a channel for its messages and buttons.`,
      ]),
    );
    blocks.push(buildDivider());
  }

  blocks.push(buildSection(`*Your watches* (${pluralize(data.watches.length, 'job')})`));
  if (data.watches.length === 0) {
    blocks.push(
      buildContext([`You are not watching any job. \`${COMMAND} watch &lt;job&gt;\` in a channel starts one.`]),
    );
  }
  data.watches.forEach(({ watch, card, job }, i) => {
    const where = `${channelOf(card.channel)} · watching since ${formatSlackDate(watch.startedAt)}`;
    const text = job
      ? [
          `${formatOutcome(job)} · *${formatJobAction(job, true)}* ${formatJobId(job.job_id)}`,
          `${progressBar(countDone(job), job.total_messages_discovered)} · ${formatPace(estimatePace(job, data.now))}`,
          formatJobCounts(job),
          where,
        ].join('\n')
      : `${formatJobId(card.jobId)} · Cloudflare could not be read just now\n${where}`;
    blocks.push({ ...buildSection(text), accessory: homeStopButton.render({ cardId: card.id }, { index: i }) });
  });

  blocks.push(buildDivider(), buildSection('*Cards you shared recently*'));
  blocks.push(
    data.cards.length === 0
      ? buildContext(['None yet. *Share to channel* on a job view posts one.'])
      : buildSection(
          data.cards
            .map(
              (card) => `• ${channelOf(card.channel)} · ${formatJobId(card.jobId)} · ${formatSlackDate(card.sharedAt)}`,
            )
            .join('\n'),
        ),
  );

  blocks.push(buildDivider(), buildSection('*Recent jobs*'));
  if (data.jobs === undefined)
    blocks.push(buildContext(['Cloudflare could not be read just now; open Home again in a minute.']));
  else if (data.jobs.length === 0) blocks.push(buildContext(['No bulk jobs yet.']));
  data.jobs?.forEach((job, i) => {
    blocks.push({
      ...buildSection(
        `${formatOutcome(job)} · *${formatJobAction(job, true)}*\n${formatJobId(job.job_id)} · ${formatSlackDate(job.created_at)}`,
      ),
      accessory: homeViewButton.render({ kind: 'view', jobId: job.job_id, page: 1 }, { index: i }),
    });
  });
  blocks.push(
    buildContext([
      `For ${formatUser(data.userId)} · as of <!date^${Math.floor(data.now.getTime() / 1000)}^{time_secs}|${data.now.toISOString().slice(0, 19)}Z>`,
    ]),
  );
  return { type: 'home', blocks };
}

/**
 * The playground in a real browser, on the full demo stack (`runDemo`: the real bot, both simulators), so
 * this exercises exactly what `npm run demo` users get. The browser comes from `findChromium`
 * (test/helpers/chromium.ts: CHROMIUM_PATH, else /usr/bin/chromium, else the one @sparticuz/chromium ships);
 * where there is none it skips, saying so, except under CI. Set BULKJOB_SKIP_BROWSER=1 to skip anyway.
 * With BULKJOB_DOCS_SCREENSHOT=1 it also writes docs/playground.png and docs/playground-home.png.
 */
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoHandle, runDemo } from '../../dev/demo.js';
import { createLogger } from '../../src/logger.js';
import { findChromium } from '../helpers/chromium.js';

const FOUND = process.env.BULKJOB_SKIP_BROWSER === '1' ? undefined : await findChromium();
if (FOUND && 'skip' in FOUND) console.warn(FOUND.skip);
const SKIP = !FOUND || 'skip' in FOUND;
const ARTIFACTS = new URL('../../artifacts/', import.meta.url);
const DOCS = new URL('../../docs/', import.meta.url);
/**
 * The live job's whole run: far longer than the story, so it is only ever seen running until the test moves
 * the simulated Cloudflare's clock past its end (the watch then notices within a few seconds).
 */
const LIVE_JOB_MS = 120_000;

/** Steps wait on what the page shows, never on sleeps; this bounds each wait. */
const STEP_MS = 10_000;

async function launch(): Promise<Browser> {
  if (!FOUND || 'skip' in FOUND) throw new Error('no Chromium: the suite should have been skipped');
  return chromium.launch({ executablePath: FOUND.executablePath, args: FOUND.args });
}

async function send(page: Page, line: string): Promise<void> {
  const input = page.getByTestId('composer-input');
  await input.fill(line);
  await input.press('Enter');
}

/** A top-level message (not a thread reply) that contains `text`. */
function topLevel(page: Page, text: string, options: { ephemeral: boolean }): Locator {
  return page
    .locator(`[data-testid="message-group"] > [data-testid="message"][data-ephemeral="${options.ephemeral}"]`)
    .filter({ hasText: text });
}

describe.skipIf(SKIP)('the playground in a browser', () => {
  let demo: DemoHandle;
  let browser: Browser;
  let context: BrowserContext;
  const logs: string[] = [];
  /** How far the simulated Cloudflare's clock is ahead of real time. */
  let cloudflareAheadMs = 0;

  beforeAll(async () => {
    browser = await launch();
    demo = await runDemo({
      port: 0,
      log: () => {},
      logger: createLogger({ level: 'warn', destination: { write: (line: string) => void logs.push(line) } }),
      liveJobDurationMs: LIVE_JOB_MS,
      cloudflareNow: () => Date.now() + cloudflareAheadMs,
      watchIntervalMs: 500,
      // The story ends the live job; the next one starts soon after, for the Home test to watch.
      liveCheckMs: 300,
      handleSignals: false,
    });
    // A fixed time zone, so `<!date…>` tokens render predictably (in the viewer's zone, as in Slack).
    context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      timezoneId: 'America/New_York',
      locale: 'en-US',
      acceptDownloads: true,
    });
  }, 60_000);

  afterAll(async () => {
    if (process.env.DEBUG_LOGS) console.log(logs.join(''));
    await context?.close();
    await browser?.close();
    await demo?.stop();
  });

  it('runs the whole story: view, page, filter, share, refresh, cancel, and a live job to its end', async () => {
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(demo.url);
    await page.locator('body[data-ready="true"]').waitFor({ timeout: STEP_MS });
    await expect.poll(() => page.getByTestId('connection').getAttribute('data-state')).toBe('live');

    // The composer shows the manifest's usage hint.
    const hint = '<job id> [failed|pending|…] · list [status] · watch <job id> · export <job id> [status] · help';
    expect(await page.getByTestId('composer-input').getAttribute('placeholder')).toBe(`/bulkjob ${hint}`);
    expect(await page.getByTestId('composer-hint').textContent()).toContain(hint);

    // Start watching the live job first, then let it run to its end while we try the rest.
    const { live, failures, pending } = demo.jobs;
    await send(page, `/bulkjob watch ${live.id}`);
    const liveCard = topLevel(page, live.id, { ephemeral: false }).filter({ hasText: 'Watching' });
    await liveCard.waitFor({ timeout: STEP_MS });
    const liveCardTs = await liveCard.getAttribute('data-ts');
    expect(demo.cloudflare.jobSnapshot(live.id)?.status).not.toBe('COMPLETED');
    cloudflareAheadMs = LIVE_JOB_MS;

    // The job view: ephemeral, rendered from Block Kit (header, fields, emoji, dates, buttons).
    await send(page, `/bulkjob ${failures.id}`);
    const view = topLevel(page, 'Page 1 of 184', { ephemeral: true });
    await view.waitFor({ timeout: STEP_MS });
    const viewTs = await view.getAttribute('data-ts');
    await expect.poll(() => view.getByTestId('ephemeral-note').textContent()).toContain('Only visible to you');
    // The job completed, but with failures: it must not read as a clean success.
    expect(await view.locator('.b-header').textContent()).toBe('⚠️ Bulk RELEASE');
    expect(await view.textContent()).toMatch(/COMPLETED with [\d,]+ failures \(\d+%\)/);
    expect(await view.locator('.b-field').first().textContent()).toBe(`Job\n${failures.id}`);
    expect(await view.locator('code').first().textContent()).toBe(failures.id);
    const firstDate = view.getByTestId('date').first();
    expect(await firstDate.textContent()).toMatch(
      /^(Today|Yesterday|[A-Z][a-z]{2} \d{1,2}, \d{4}) \d{1,2}:\d{2}\s?[AP]M$/,
    );
    expect(await view.textContent()).not.toContain('<!date');
    expect(await view.textContent()).not.toContain(':white_check_mark:');
    const byAction = (action: string) => view.locator(`[data-action-id="${action}"]`);
    expect(await byAction('bulkjob_share').getAttribute('class')).toContain('btn-primary');
    expect(await byAction('bulkjob_nav_prev').count()).toBe(0);

    // Next and Prev replace the view in place (same message, same ts).
    await byAction('bulkjob_nav_next').click();
    const page2 = topLevel(page, 'Page 2 of 184', { ephemeral: true });
    await page2.waitFor({ timeout: STEP_MS });
    expect(await page2.getAttribute('data-ts')).toBe(viewTs);
    await page2.locator('[data-action-id="bulkjob_nav_prev"]').click();
    await topLevel(page, 'Page 1 of 184', { ephemeral: true }).waitFor({ timeout: STEP_MS });

    // Failed only: every row is a failure, with its reason; the toggle now offers All statuses.
    await byAction('bulkjob_nav_filter').click();
    const failedView = topLevel(page, 'failed only', { ephemeral: true });
    await failedView.waitFor({ timeout: STEP_MS });
    const rows = (await failedView.locator('.b-section .mrkdwn').allTextContents()).filter((t) => t.includes(' · '));
    const messageRows = rows.filter((t) => /^\S+ (COMPLETED|FAILED|PENDING)/.test(t));
    expect(messageRows.length).toBeGreaterThan(0);
    for (const row of messageRows) expect(row).toMatch(/^❌ FAILED/);
    expect(await failedView.textContent()).toContain('Reason: ');
    expect(await failedView.locator('[data-action-id="bulkjob_nav_filter"]').textContent()).toBe('All statuses');

    // Share: a card everyone in the channel sees, without recipient addresses.
    await failedView.locator('[data-action-id="bulkjob_share"]').click();
    const card = topLevel(page, failures.id, { ephemeral: false }).filter({ hasText: 'Shared by' });
    await card.waitFor({ timeout: STEP_MS });
    expect(await card.getByTestId('ephemeral-note').count()).toBe(0);
    const cardText = (await card.textContent()) ?? '';
    expect(cardText).toContain('Failure reasons');
    expect(cardText).toContain('Shared by @alex.rivera');
    expect(cardText).not.toMatch(/@example-(corp|labs)\./);
    expect(await card.locator('.mention').first().textContent()).toBe('@alex.rivera');

    // Refresh on the card edits it in place: same ts, one more edit, and the "edited" marker.
    const cardTs = await card.getAttribute('data-ts');
    const edits = Number(await card.getAttribute('data-edits'));
    await card.locator('[data-action-id="bulkjob_card_refresh"]').click();
    const refreshed = page.locator(`[data-testid="message-group"] > [data-testid="message"][data-ts="${cardTs}"]`);
    await expect
      .poll(async () => Number(await refreshed.getAttribute('data-edits')), { timeout: STEP_MS })
      .toBeGreaterThan(edits);
    expect(await refreshed.getByTestId('edited').textContent()).toBe('(edited)');

    // Cancel job sits behind Slack's confirm dialog: Keep running sends nothing; Cancel job cancels.
    await send(page, `/bulkjob ${pending.id}`);
    const pendingView = topLevel(page, pending.id, { ephemeral: true }).filter({ hasText: 'Page 1' });
    await pendingView.waitFor({ timeout: STEP_MS });
    const cancel = pendingView.locator('[data-action-id="bulkjob_cancel"]');
    expect(await cancel.getAttribute('class')).toContain('btn-danger');
    const dialog = page.getByTestId('confirm-dialog');
    await cancel.click();
    await dialog.waitFor({ state: 'visible' });
    expect(await page.getByTestId('confirm-title').textContent()).toBe('Cancel this job?');
    expect(await page.getByTestId('confirm-ok').textContent()).toBe('Cancel job');
    await page.screenshot({ path: screenshotPath(ARTIFACTS, 'playground-confirm.png') });
    await page.getByTestId('confirm-deny').click();
    await dialog.waitFor({ state: 'hidden' });
    expect(demo.cloudflare.jobSnapshot(pending.id)?.status).toBe('PENDING');
    await cancel.click();
    await page.getByTestId('confirm-ok').click();
    await topLevel(page, pending.id, { ephemeral: true })
      .filter({ hasText: 'CANCELLED' })
      .waitFor({ timeout: STEP_MS });
    expect(demo.cloudflare.jobSnapshot(pending.id)?.status).toBe('CANCELLED');
    // Only the confirmed click reached Cloudflare: Keep running sent nothing.
    expect(demo.cloudflare.countRequests({ method: 'POST', jobId: pending.id })).toBe(1);

    await page.screenshot({ path: screenshotPath(ARTIFACTS, 'playground.png') });

    // The live job has ended: its card says so, and the completion notice lands in the card's thread.
    const thread = page.locator(`[data-testid="message-group"][data-ts="${liveCardTs}"] [data-testid="thread"]`);
    const notice = thread.getByTestId('message').filter({ hasText: 'ended' });
    await notice.waitFor({ timeout: STEP_MS });
    // 4 % of the live job's messages fail: it ends completed with failures, and says so.
    expect(await notice.textContent()).toMatch(/COMPLETED with [\d,]+ failures/);
    expect(await notice.locator('.mention').first().textContent()).toBe('@alex.rivera');
    expect(await thread.getByTestId('thread-label').textContent()).toBe('1 reply');
    const endedCard = page.locator(`[data-testid="message-group"] > [data-testid="message"][data-ts="${liveCardTs}"]`);
    await expect.poll(() => endedCard.locator('.b-header').textContent(), { timeout: STEP_MS }).toMatch(/^⚠️/);
    expect(await endedCard.getByTestId('edited').count()).toBe(1);

    await endedCard.scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath(ARTIFACTS, 'playground-live.png') });
    expect(pageErrors).toEqual([]);
    // The bot logged nothing at error level while doing all of this.
    expect(logs.filter((line) => JSON.parse(line).level >= 50)).toEqual([]);
  }, 120_000);

  it('renders mrkdwn and Block Kit faithfully, and never as HTML', async () => {
    const page = await context.newPage();
    await page.goto(demo.url);
    await page.locator('body[data-ready="true"]').waitFor({ timeout: STEP_MS });
    const unix = 1_700_000_000; // 2023-11-14T22:13:20Z: 5:13 PM in New York
    const today = Math.floor(Date.now() / 1000);
    const message = demo.slack.state.add({
      channel: demo.channelId,
      user: 'UBOTFIXTURE',
      botId: 'BFIXTURE',
      text: 'fixture',
      source: 'chat.postMessage',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: ':bar_chart: Fixture &amp; more', emoji: true } },
        {
          type: 'section',
          block_id: 'fx_text',
          text: {
            type: 'mrkdwn',
            text:
              '*bold* _italic_ ~strike~ `code &lt;x&gt;` <https://example.com/a?b=1&amp;c=2|a link> <https://example.org> ' +
              `<@${demo.userId}> :white_check_mark: :not_an_emoji: 12:00:00 &amp;lt;b&amp;gt; ` +
              '&lt;script&gt;window.__pwned = 1&lt;/script&gt; <javascript:alert(1)|bad link> snake_case_word\n' +
              '```line 1\n*not bold* &lt;tag&gt;```',
          },
          accessory: {
            type: 'button',
            action_id: 'fx_accessory',
            value: 'x',
            text: { type: 'plain_text', text: 'Open' },
          },
        },
        {
          type: 'section',
          fields: [
            { type: 'mrkdwn', text: `*num*\n<!date^${unix}^{date_num}|fallback>` },
            { type: 'mrkdwn', text: `*date*\n<!date^${unix}^{date}|fallback>` },
            { type: 'mrkdwn', text: `*long*\n<!date^${unix}^{date_long} {time_secs}|fallback>` },
            { type: 'mrkdwn', text: `*short*\n<!date^${unix}^{date_short_pretty} {time}|fallback>` },
            { type: 'mrkdwn', text: `*today*\n<!date^${today}^{date_short_pretty}|fallback>` },
            { type: 'mrkdwn', text: `*plain*\n<!date^${unix}^{date_short}|fallback>` },
          ],
        },
        {
          type: 'context',
          elements: [
            { type: 'image', image_url: 'https://example.com/i.png', alt_text: 'shield icon' },
            { type: 'plain_text', text: 'plain :eyes: text', emoji: true },
          ],
        },
        { type: 'divider' },
        { type: 'rich_text', elements: [] },
        {
          type: 'actions',
          block_id: 'fx_actions',
          elements: [
            {
              type: 'button',
              action_id: 'fx_ok',
              value: '1',
              style: 'primary',
              text: { type: 'plain_text', text: 'Go' },
            },
            {
              type: 'button',
              action_id: 'fx_no',
              value: '2',
              style: 'danger',
              text: { type: 'plain_text', text: 'Stop' },
            },
            { type: 'static_select', action_id: 'fx_select' },
          ],
        },
      ],
    });
    const fixture = page.locator(`[data-testid="message"][data-ts="${message.ts}"]`);
    await fixture.waitFor({ timeout: STEP_MS });

    expect(await fixture.locator('.b-header').textContent()).toBe('📊 Fixture & more');
    const text = fixture.locator('[data-block-id="fx_text"] .b-section-main .mrkdwn');
    expect(await text.locator('b').first().textContent()).toBe('bold');
    expect(await text.locator('i').first().textContent()).toBe('italic');
    expect(await text.locator('s').first().textContent()).toBe('strike');
    expect(await text.locator('code').textContent()).toBe('code <x>');
    expect(await text.locator('a').first().getAttribute('href')).toBe('https://example.com/a?b=1&c=2');
    expect(await text.locator('a').first().textContent()).toBe('a link');
    expect(await text.locator('a').nth(1).textContent()).toBe('https://example.org');
    expect(await text.locator('a').count()).toBe(2);
    expect(await text.locator('.mention').textContent()).toBe('@alex.rivera');
    const body = (await text.textContent()) ?? '';
    expect(body).toContain(
      '✅ :not_an_emoji: 12:00:00 &lt;b&gt; <script>window.__pwned = 1</script> bad link snake_case_word',
    );
    expect(await text.locator('pre').textContent()).toBe('line 1\n*not bold* <tag>');
    expect(await text.locator('script').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await fixture.locator('.b-accessory [data-action-id="fx_accessory"]').textContent()).toBe('Open');

    const fields = await fixture.locator('.b-field').allTextContents();
    expect(fields).toEqual([
      'num\n2023-11-14',
      'date\nNovember 14th, 2023',
      expect.stringMatching(/^long\nTuesday, November 14th, 2023 5:13:20\sPM$/),
      expect.stringMatching(/^short\nNov 14, 2023 5:13\sPM$/),
      'today\nToday',
      'plain\nNov 14, 2023',
    ]);
    expect(await fixture.getByTestId('date').first().getAttribute('title')).toBe('fallback');

    expect(await fixture.locator('.b-context').textContent()).toContain('shield icon');
    expect(await fixture.locator('.b-context').textContent()).toContain('plain 👀 text');
    expect(await fixture.locator('img').count()).toBe(0);
    expect(await fixture.locator('hr.b-divider').count()).toBe(1);
    expect(await fixture.getByTestId('unsupported-block').textContent()).toBe('Unsupported block: rich_text');
    expect(await fixture.getByTestId('unsupported-element').textContent()).toBe('Unsupported element: static_select');
    expect(await fixture.locator('[data-action-id="fx_ok"]').getAttribute('class')).toContain('btn-primary');
    expect(await fixture.locator('[data-action-id="fx_no"]').getAttribute('class')).toContain('btn-danger');

    // Updates arrive in place; a deleted message leaves the page.
    demo.slack.state.edit(demo.channelId, message.ts, { text: 'edited fixture', blocks: [] });
    await fixture.filter({ hasText: 'edited fixture' }).waitFor({ timeout: STEP_MS });
    expect(await fixture.getByTestId('edited').textContent()).toBe('(edited)');
    demo.slack.deleteMessage(demo.channelId, message.ts);
    await fixture.waitFor({ state: 'detached', timeout: STEP_MS });

    // What Slack would refuse is answered on the page, not sent.
    await send(page, '/giphy cats');
    await page.getByTestId('local-notice').filter({ hasText: '/giphy' }).waitFor({ timeout: STEP_MS });
  }, 60_000);

  it('opens the Home tab: your watches with Stop, cards you shared, recent jobs with View', async () => {
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(demo.url);
    await page.locator('body[data-ready="true"]').waitFor({ timeout: STEP_MS });
    // A job still running (the story may have ended the first live job; the demo then starts another).
    await expect
      .poll(() => demo.cloudflare.jobSnapshot(demo.jobs.live.id)?.status, { timeout: STEP_MS })
      .not.toMatch(/COMPLETED|FAILED|CANCELLED|SKIPPED/);
    const live = demo.jobs.live.id;
    await send(page, `/bulkjob watch ${live}`);
    const card = topLevel(page, live, { ephemeral: false }).filter({ hasText: 'Watching' });
    await card.waitFor({ timeout: STEP_MS });
    const cardTs = await card.getAttribute('data-ts');

    // Apps → bulkjob: the channel gives way to Home, which the bot publishes when it is opened.
    await page.getByTestId('sidebar-home').click();
    const home = page.getByTestId('home-view');
    await home.filter({ hasText: 'Your watches' }).waitFor({ timeout: STEP_MS });
    expect(await page.getByTestId('channel-pane').isHidden()).toBe(true);
    expect(await page.getByTestId('sidebar-home').getAttribute('aria-current')).toBe('page');
    const watchRow = home.locator('.block').filter({ hasText: live });
    await watchRow.first().waitFor({ timeout: STEP_MS });
    const stop = watchRow.locator('[data-action-id^="bulkjob_home_stop"]');
    expect(await stop.textContent()).toBe('Stop watching');
    const homeText = (await home.textContent()) ?? '';
    expect(homeText).toContain('Cards you shared recently');
    expect(homeText).toContain(`#${(await page.getByTestId('channel-name').textContent()) ?? ''}`);
    expect(homeText).toMatch(/as of \d{1,2}:\d{2}:\d{2}/);
    expect(homeText).not.toMatch(/@example-(corp|labs)\./);

    // View on a recent job shows it at the top of Home.
    const { failures } = demo.jobs;
    const recent = home
      .locator('.block')
      .filter({ hasText: failures.id })
      .filter({ has: page.getByText('View') });
    await recent.locator('[data-action-id^="bulkjob_home_view"]').click();
    await home.locator('.b-header').filter({ hasText: 'Bulk RELEASE' }).waitFor({ timeout: STEP_MS });
    expect(await home.textContent()).toMatch(/COMPLETED with [\d,]+ failures/);
    await page.screenshot({ path: screenshotPath(ARTIFACTS, 'playground-home.png') });

    // Stop watching: Home says so and drops the row; the card in the channel says who stopped it.
    await home.locator('[data-action-id^="bulkjob_home_stop"]').first().click();
    await home.filter({ hasText: 'Watch stopped' }).waitFor({ timeout: STEP_MS });
    expect(await home.locator('[data-action-id^="bulkjob_home_stop"]').count()).toBe(0);
    await page.getByTestId('sidebar-channel-link').click();
    expect(await page.getByTestId('home-pane').isHidden()).toBe(true);
    const stopped = page.locator(`[data-testid="message-group"] > [data-testid="message"][data-ts="${cardTs}"]`);
    await stopped.filter({ hasText: /stopped by @alex\.rivera/i }).waitFor({ timeout: STEP_MS });
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('exports a job to CSV: a line in the channel, the file in the bot’s Messages tab, downloadable', async () => {
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(demo.url);
    await page.locator('body[data-ready="true"]').waitFor({ timeout: STEP_MS });
    const { small } = demo.jobs;
    await send(page, `/bulkjob export ${small.id} failed`);
    await topLevel(page, 'Export done', { ephemeral: true }).waitFor({ timeout: STEP_MS });
    // Nothing but the requester's own lines in the channel: the file went to the DM.
    expect(await page.getByTestId('messages').getByTestId('file-link').count()).toBe(0);

    await page.getByTestId('sidebar-home').click();
    await page.getByTestId('tab-messages').click();
    const dm = page.getByTestId('dm-messages');
    const file = dm.getByTestId('file-link');
    await file.first().waitFor({ timeout: STEP_MS });
    expect(await dm.textContent()).toMatch(/CSV export of job/);
    expect(await dm.textContent()).toMatch(/Top failure reasons/);
    const [download] = await Promise.all([page.waitForEvent('download'), file.first().click()]);
    expect(download.suggestedFilename()).toMatch(
      new RegExp(`^bulkjob-${small.id.slice(0, 8)}-failed-\\d{8}T\\d{4}\\.csv$`),
    );
    const csv = await readFile((await download.path())!, 'utf8');
    expect(csv.startsWith('\ufeffmessage_id,recipient,status,')).toBe(true);
    const rows = csv.trim().split('\r\n').slice(1);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row.split(',')[2]).toBe('FAILED');
    await page.screenshot({ path: screenshotPath(ARTIFACTS, 'playground-export.png') });
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it.runIf(process.env.BULKJOB_DOCS_SCREENSHOT === '1')(
    'writes docs/playground.png and docs/playground-home.png',
    async () => {
      const page = await context.newPage();
      // Taller than the 1280×800 the page is designed for, so one image holds a shared card and a job view.
      await page.setViewportSize({ width: 1280, height: 1580 });
      for (const message of demo.slack.channelMessages(demo.channelId))
        demo.slack.deleteMessage(demo.channelId, message.ts);
      for (const message of demo.slack.ephemeralFor(demo.userId, demo.channelId)) {
        demo.slack.deleteMessage(demo.channelId, message.ts);
      }
      await page.goto(demo.url);
      await page.locator('body[data-ready="true"]').waitFor({ timeout: STEP_MS });
      const { failures, small } = demo.jobs;
      // Share the job with many failures (its card lists the reasons), then dismiss that view…
      await send(page, `/bulkjob ${failures.id} failed`);
      const failuresView = topLevel(page, failures.id, { ephemeral: true }).filter({ hasText: 'failed only' });
      await failuresView.waitFor({ timeout: STEP_MS });
      await failuresView.locator('[data-action-id="bulkjob_share"]').click();
      await topLevel(page, failures.id, { ephemeral: false })
        .filter({ hasText: 'Shared by' })
        .waitFor({ timeout: STEP_MS });
      await failuresView.getByTestId('dismiss').click();
      // …and open the small job's failures: a card and a job view on one screen.
      await send(page, `/bulkjob ${small.id} failed`);
      await topLevel(page, small.id, { ephemeral: true })
        .filter({ hasText: 'failed only' })
        .waitFor({ timeout: STEP_MS });
      await page.getByTestId('composer-input').fill(`/bulkjob watch ${demo.jobs.live.id}`);
      await page.mouse.move(1, 1);
      mkdirSync(DOCS, { recursive: true });
      await page.screenshot({ path: new URL('playground.png', DOCS).pathname });

      // The Home tab, with the live job watched and the job with failures picked.
      await page.getByTestId('composer-input').fill('');
      await send(page, `/bulkjob watch ${demo.jobs.live.id}`);
      await topLevel(page, demo.jobs.live.id, { ephemeral: false })
        .filter({ hasText: 'Watching' })
        .waitFor({ timeout: STEP_MS });
      await page.setViewportSize({ width: 1280, height: 1100 });
      await page.getByTestId('sidebar-home').click();
      const home = page.getByTestId('home-view');
      await home.locator('.block').filter({ hasText: demo.jobs.live.id }).first().waitFor({ timeout: STEP_MS });
      await home
        .locator('.block')
        .filter({ hasText: failures.id })
        .locator('[data-action-id^="bulkjob_home_view"]')
        .click();
      await home.locator('.b-header').filter({ hasText: 'Bulk RELEASE' }).waitFor({ timeout: STEP_MS });
      await page.mouse.move(1, 1);
      await page.screenshot({ path: new URL('playground-home.png', DOCS).pathname });
    },
    90_000,
  );
});

function screenshotPath(dir: URL, name: string): string {
  mkdirSync(dir, { recursive: true });
  return new URL(name, dir).pathname;
}

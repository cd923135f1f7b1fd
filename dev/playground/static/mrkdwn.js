// Slack mrkdwn → DOM nodes (never HTML strings: nothing the bot or a user sent is ever parsed as HTML).
// https://docs.slack.dev/messaging/formatting-message-text
//
// What the bot sends is already escaped (&amp; &lt; &gt;), so a literal `<` is always markup. Markup is parsed
// first, and the entities of each leaf text are decoded exactly once, so `&amp;lt;` shows as `&lt;`.
import { emojiFor } from './emoji.js';

const ENTITIES = { '&amp;': '&', '&lt;': '<', '&gt;': '>' };

/** Decodes Slack's three entities, once. */
export function decodeEntities(text) {
  return String(text).replace(/&(?:amp|lt|gt);/g, (entity) => ENTITIES[entity]);
}

const WORD = String.raw`\p{L}\p{N}_`;
// The order matters where two rules could start at the same character: a fence before a code span.
const INLINE_RULES = [
  String.raw`\x60\x60\x60(?<fenced>[\s\S]*?)\x60\x60\x60`,
  String.raw`<(?<angle>[^<>\n]+)>`,
  String.raw`\x60(?<code>[^\x60\n]+)\x60`,
  String.raw`(?<![${WORD}*])\*(?<bold>[^*\s](?:[^*\n]*?[^*\s])?)\*(?![${WORD}*])`,
  String.raw`(?<![${WORD}])_(?<italic>[^_\s](?:[^_\n]*?[^_\s])?)_(?![${WORD}])`,
  String.raw`(?<![${WORD}~])~(?<strike>[^~\s](?:[^~\n]*?[^~\s])?)~(?![${WORD}~])`,
  `:(?<emoji>[a-z0-9_+'-]+(?:::skin-tone-[2-6])?):`,
].join('|');

function el(tag, className, children = []) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children) node.append(child);
  return node;
}

/** Text with `:shortcodes:` turned into emoji (plain_text with `emoji: true`, and leaf mrkdwn text). */
function appendText(parent, raw, withEmoji) {
  const text = decodeEntities(raw);
  if (!withEmoji) {
    parent.append(text);
    return;
  }
  const re = /:([a-z0-9_+'-]+(?:::skin-tone-[2-6])?):/g;
  let last = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const emoji = emojiFor(m[1]);
    if (emoji === undefined) {
      // Not an emoji (`12:00:00`): keep the colon as text and look again from the next character.
      re.lastIndex = m.index + 1;
      continue;
    }
    parent.append(text.slice(last, m.index));
    parent.append(el('span', 'emoji', [emoji]));
    last = m.index + m[0].length;
  }
  parent.append(text.slice(last));
}

/** A plain_text object's text: entities decoded, emoji shortcodes converted unless `emoji: false`. */
export function renderPlainText(text, emoji = true) {
  const fragment = document.createDocumentFragment();
  appendText(fragment, text ?? '', emoji);
  return fragment;
}

/** mrkdwn text as a DocumentFragment. `ctx.users`: id → display name, for `<@U…>` mentions. */
export function renderMrkdwn(text, ctx = {}) {
  const fragment = document.createDocumentFragment();
  appendInline(fragment, String(text ?? ''), ctx, false);
  return fragment;
}

function appendInline(parent, text, ctx, codeOnly) {
  const re = new RegExp(codeOnly ? String.raw`<(?<angle>[^<>\n]+)>` : INLINE_RULES, 'gu');
  let last = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const g = m.groups;
    let node;
    if (g.emoji !== undefined) {
      const emoji = emojiFor(g.emoji);
      if (emoji === undefined) {
        re.lastIndex = m.index + 1;
        continue;
      }
      node = el('span', 'emoji', [emoji]);
    } else if (g.angle !== undefined) {
      node = renderAngle(g.angle, ctx);
    } else if (g.fenced !== undefined) {
      node = el('pre', 'code-block');
      appendInline(node, g.fenced.replace(/^\n/, ''), ctx, true);
    } else if (g.code !== undefined) {
      node = el('code', 'code');
      appendInline(node, g.code, ctx, true);
    } else {
      const [tag, inner] =
        g.bold !== undefined ? ['b', g.bold] : g.italic !== undefined ? ['i', g.italic] : ['s', g.strike];
      node = el(tag);
      appendInline(node, inner, ctx, false);
    }
    if (m.index > last) appendText(parent, text.slice(last, m.index), false);
    parent.append(node);
    last = m.index + m[0].length;
  }
  if (last < text.length) appendText(parent, text.slice(last), false);
}

const SAFE_LINK = /^(?:https?:|mailto:)/i;

/** `<@U…>`, `<#C…|name>`, `<!here>`, `<!date^…|fallback>`, `<url|label>`, `<url>`. */
function renderAngle(body, ctx) {
  const bar = body.indexOf('|');
  const target = bar === -1 ? body : body.slice(0, bar);
  const label = bar === -1 ? undefined : body.slice(bar + 1);
  if (target.startsWith('@')) {
    const id = target.slice(1);
    const name = ctx.users?.[id] ?? (label ? decodeEntities(label) : id);
    const node = el('span', 'mention', [`@${name}`]);
    node.dataset.userId = id;
    if (id === ctx.me) node.classList.add('mention-me');
    return node;
  }
  if (target.startsWith('#')) {
    const id = target.slice(1);
    return el('span', 'mention', [`#${ctx.channels?.[id] ?? (label ? decodeEntities(label) : id)}`]);
  }
  if (target.startsWith('!')) {
    if (target.startsWith('!date^')) return renderDate(target, label, ctx);
    const special = target.slice(1).split('^')[0];
    if (special === 'here' || special === 'channel' || special === 'everyone') {
      return el('span', 'mention mention-broadcast', [`@${special}`]);
    }
    return el('span', 'mention', [decodeEntities(label ?? target)]);
  }
  const url = decodeEntities(target);
  const text = label === undefined ? url : decodeEntities(label);
  if (!SAFE_LINK.test(url)) return el('span', 'link-unsafe', [text]);
  const link = el('a', 'link', [text]);
  link.href = url;
  link.target = '_blank';
  link.rel = 'noopener noreferrer';
  return link;
}

function renderDate(target, fallback, ctx) {
  // !date^UNIX^FORMAT[^LINK]
  const [, unixText, format = '', link] = target.split('^');
  const unix = Number(unixText);
  const fallbackText = decodeEntities(fallback ?? '');
  if (!Number.isFinite(unix)) return el('span', 'date', [fallbackText || decodeEntities(target)]);
  const node = el('time', 'date', [formatSlackDate(unix, decodeEntities(format), ctx.now?.() ?? new Date())]);
  node.dateTime = new Date(unix * 1000).toISOString();
  node.title = fallbackText || node.dateTime;
  node.dataset.testid = 'date';
  if (link && SAFE_LINK.test(link)) {
    const a = el('a', 'link', [node]);
    a.href = decodeEntities(link);
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
    return a;
  }
  return node;
}

// ---- dates, in the viewer's time zone (Slack renders each viewer's own) ----

function parts(date, options, timeZone) {
  const out = {};
  for (const p of new Intl.DateTimeFormat('en-US', { ...options, timeZone }).formatToParts(date)) out[p.type] = p.value;
  return out;
}

function ordinal(day) {
  const n = Number(day);
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${{ 1: 'st', 2: 'nd', 3: 'rd' }[n % 10] ?? 'th'}`;
}

/** Whole calendar days from `now` to `date` in the time zone (0 today, -1 yesterday, 1 tomorrow). */
function dayOffset(date, now, timeZone) {
  const key = (d) => {
    const p = parts(d, { year: 'numeric', month: 'numeric', day: 'numeric' }, timeZone);
    return Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day));
  };
  return Math.round((key(date) - key(now)) / 86_400_000);
}

function relativeDay(date, now, timeZone) {
  return { 0: 'Today', [-1]: 'Yesterday', 1: 'Tomorrow' }[dayOffset(date, now, timeZone)];
}

function ago(date, now) {
  const seconds = Math.round((now.getTime() - date.getTime()) / 1000);
  const future = seconds < 0;
  const abs = Math.abs(seconds);
  const units = [
    ['year', 31_536_000],
    ['month', 2_592_000],
    ['day', 86_400],
    ['hour', 3600],
    ['minute', 60],
  ];
  for (const [unit, size] of units) {
    if (abs >= size) {
      const n = Math.floor(abs / size);
      const text = `${n} ${unit}${n === 1 ? '' : 's'}`;
      return future ? `in ${text}` : `${text} ago`;
    }
  }
  return future ? 'in a few seconds' : 'just now';
}

/**
 * Slack's date tokens: {date_num} {date} {date_short} {date_long} {date_pretty} {date_short_pretty}
 * {date_long_pretty} {time} {time_secs} {ago}; anything else is kept as written.
 */
export function formatSlackDate(unix, format, now = new Date(), timeZone = undefined) {
  const date = new Date(unix * 1000);
  const long = () => {
    const p = parts(date, { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' }, timeZone);
    return `${p.weekday}, ${p.month} ${ordinal(p.day)}, ${p.year}`;
  };
  const full = () => {
    const p = parts(date, { year: 'numeric', month: 'long', day: 'numeric' }, timeZone);
    return `${p.month} ${ordinal(p.day)}, ${p.year}`;
  };
  const short = () => {
    const p = parts(date, { year: 'numeric', month: 'short', day: 'numeric' }, timeZone);
    return `${p.month} ${p.day}, ${p.year}`;
  };
  const tokens = {
    date_num: () => {
      const p = parts(date, { year: 'numeric', month: '2-digit', day: '2-digit' }, timeZone);
      return `${p.year}-${p.month}-${p.day}`;
    },
    date: full,
    date_short: short,
    date_long: long,
    date_pretty: () => relativeDay(date, now, timeZone) ?? full(),
    date_short_pretty: () => relativeDay(date, now, timeZone) ?? short(),
    date_long_pretty: () => relativeDay(date, now, timeZone) ?? long(),
    time: () => new Intl.DateTimeFormat('en-US', { hour: 'numeric', minute: '2-digit', timeZone }).format(date),
    time_secs: () =>
      new Intl.DateTimeFormat('en-US', { hour: 'numeric', minute: '2-digit', second: '2-digit', timeZone }).format(
        date,
      ),
    ago: () => ago(date, now),
  };
  return format.replace(/\{(\w+)\}/g, (token, name) => (Object.hasOwn(tokens, name) ? tokens[name]() : token));
}

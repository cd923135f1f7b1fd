// The playground page: shows the simulated channel as the demo user sees it, live over server-sent events,
// and sends what the user types or clicks to the simulator, which delivers it to the bot as Slack would.
import { renderMrkdwn, renderPlainText } from './mrkdwn.js';
import { renderMessageBody } from './render.js';

const $ = (selector) => document.querySelector(selector);
const list = $('[data-testid="messages"]');
const input = $('[data-testid="composer-input"]');
const form = $('[data-testid="composer"]');
const connection = $('[data-testid="connection"]');
const dialog = $('[data-testid="confirm-dialog"]');
const channelPane = $('[data-testid="channel-pane"]');
const homePane = $('[data-testid="home-pane"]');
const homeView = $('[data-testid="home-view"]');
const dmList = $('[data-testid="dm-messages"]');

/** The session: who we are, where, and every visible message by ts. */
const state = {
  me: { id: '', name: '' },
  bot: { id: '', name: 'bulkjob' },
  channel: { id: '', name: '' },
  command: '/bulkjob',
  users: {},
  messages: new Map(),
  history: [],
  /** The Home tab the bot last published for us (null before the first open). */
  home: null,
  /** Our direct messages with the bot (CSV exports arrive there). */
  dm: { id: '' },
};

function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'className') node.className = value;
    else if (key.startsWith('data-') || key.startsWith('aria-')) node.setAttribute(key, String(value));
    else node[key] = value;
  }
  for (const child of children) if (child !== undefined && child !== null) node.append(child);
  return node;
}

const tsNumber = (ts) => Number.parseFloat(ts);

function formatClock(ts) {
  return new Date(tsNumber(ts) * 1000).toLocaleTimeString('en-US', { hour: 'numeric', minute: '2-digit' });
}

function isReply(message) {
  return message.threadTs !== undefined && message.threadTs !== message.ts && !message.replyBroadcast;
}

function nearBottom() {
  return list.scrollHeight - list.scrollTop - list.clientHeight < 160;
}

function scrollToBottom() {
  list.scrollTop = list.scrollHeight;
}

/** Inserts `node` among `parent`'s children in ts order (they carry data-ts). */
function insertByTs(parent, node, ts) {
  const after = [...parent.children].find((child) => child.dataset.ts && tsNumber(child.dataset.ts) > tsNumber(ts));
  parent.insertBefore(node, after ?? null);
}

// ---- messages ----

function authorOf(message) {
  if (message.botId !== undefined) return { name: state.bot.name, bot: true };
  return { name: state.users[message.user] ?? message.user, bot: false };
}

function avatar(author) {
  const initials = author.bot
    ? 'bj'
    : author.name
        .split(/[.\s_-]+/)
        .map((part) => part[0] ?? '')
        .join('')
        .slice(0, 2)
        .toUpperCase();
  return el('div', { className: `avatar${author.bot ? ' avatar-bot' : ''}`, 'aria-hidden': 'true' }, [initials]);
}

function renderArticle(message) {
  const author = authorOf(message);
  const ephemeral = message.ephemeralTo !== undefined;
  const edited = message.edits > 0 && !ephemeral;
  const meta = el('div', { className: 'message-meta' }, [
    el('span', { className: 'author', 'data-testid': 'author' }, [author.name]),
    author.bot ? el('span', { className: 'app-badge' }, ['APP']) : null,
    el('time', { className: 'clock', dateTime: new Date(tsNumber(message.ts) * 1000).toISOString() }, [
      formatClock(message.ts),
    ]),
    edited ? el('span', { className: 'edited', 'data-testid': 'edited' }, ['(edited)']) : null,
  ]);
  const content = el('div', { className: 'message-content' }, [meta]);
  if (ephemeral) {
    const dismiss = el('button', { type: 'button', className: 'link-button', 'data-testid': 'dismiss' }, [
      'Dismiss message',
    ]);
    dismiss.addEventListener('click', () => removeMessage(message.ts));
    content.append(
      el('div', { className: 'ephemeral-note', 'data-testid': 'ephemeral-note' }, [
        el('span', { className: 'eye', 'aria-hidden': 'true' }, ['👁']),
        ' Only visible to you · ',
        dismiss,
      ]),
    );
  }
  const ctx = {
    users: state.users,
    channels: { [state.channel.id]: state.channel.name },
    me: state.me.id,
    onButton: (button, blockId, node) => pressButton(message, button, blockId, node),
  };
  content.append(renderMessageBody(message, ctx));
  for (const file of message.files ?? []) {
    content.append(
      el(
        'a',
        {
          className: 'file-link',
          href: `/playground/files/${encodeURIComponent(file.id)}`,
          download: file.name,
          'data-testid': 'file-link',
        },
        [`📎 ${file.name}`],
      ),
    );
  }
  return el(
    'article',
    {
      className: `message${ephemeral ? ' ephemeral' : ''}${author.bot ? ' from-bot' : ''}`,
      'data-testid': 'message',
      'data-ts': message.ts,
      'data-message-id': message.id,
      'data-ephemeral': ephemeral ? 'true' : 'false',
      'data-edits': String(message.edits),
      'data-thread-ts': message.threadTs,
    },
    [avatar(author), content],
  );
}

function threadLabel(count) {
  return `${count} ${count === 1 ? 'reply' : 'replies'}`;
}

/** A top-level message and its thread, kept together. */
function createGroup(message) {
  const thread = el(
    'div',
    { className: 'thread', 'data-testid': 'thread', 'data-thread-ts': message.ts, hidden: true },
    [
      el('div', { className: 'thread-label', 'data-testid': 'thread-label' }),
      el('div', { className: 'thread-replies' }),
    ],
  );
  return el('div', { className: 'message-group', 'data-ts': message.ts, 'data-testid': 'message-group' }, [
    renderArticle(message),
    thread,
  ]);
}

function groupFor(ts) {
  return list.querySelector(`.message-group[data-ts="${CSS.escape(ts)}"]`);
}

function updateThreadLabel(group) {
  const thread = group.querySelector(':scope > .thread');
  const count = thread.querySelector('.thread-replies').children.length;
  thread.hidden = count === 0;
  thread.querySelector('.thread-label').textContent = threadLabel(count);
}

/** A message of our DM with the bot: shown on the app's Messages tab, in ts order, replaced in place. */
function upsertDm(message) {
  dmList.querySelector('[data-testid="dm-empty"]')?.remove();
  const existing = dmList.querySelector(`:scope > [data-ts="${CSS.escape(message.ts)}"]`);
  if (message.deleted) {
    existing?.remove();
    return;
  }
  const article = renderArticle(message);
  if (existing) existing.replaceWith(article);
  else insertByTs(dmList, article, message.ts);
}

function upsert(message) {
  if (message.channel === state.dm.id) {
    upsertDm(message);
    return;
  }
  if (message.deleted) {
    removeMessage(message.ts);
    return;
  }
  const stick = nearBottom();
  state.messages.set(message.ts, message);
  if (isReply(message)) {
    const parent = groupFor(message.threadTs);
    if (parent) {
      const replies = parent.querySelector(':scope > .thread .thread-replies');
      const existing = replies.querySelector(`:scope > [data-ts="${CSS.escape(message.ts)}"]`);
      const article = renderArticle(message);
      if (existing) existing.replaceWith(article);
      else insertByTs(replies, article, message.ts);
      updateThreadLabel(parent);
      if (stick) scrollToBottom();
      return;
    }
    // The parent is not on the page (deleted, or before the snapshot): show the reply on its own.
  }
  const group = groupFor(message.ts);
  if (group) {
    group.firstElementChild.replaceWith(renderArticle(message));
  } else {
    insertByTs(list, createGroup(message), message.ts);
    if (stick) scrollToBottom();
  }
}

function removeMessage(ts) {
  state.messages.delete(ts);
  const group = groupFor(ts);
  if (group) {
    group.remove();
    return;
  }
  const reply = list.querySelector(`.thread-replies > [data-ts="${CSS.escape(ts)}"]`);
  if (reply) {
    const parent = reply.closest('.message-group');
    reply.remove();
    if (parent) updateThreadLabel(parent);
  }
}

/** A line only this page shows (a command Slack would refuse, a delivery error), styled as ephemeral. */
function addNotice(mrkdwn, kind = 'info') {
  const ts = (Date.now() / 1000).toFixed(6);
  const stick = nearBottom();
  const node = el(
    'div',
    { className: `message-group notice notice-${kind}`, 'data-ts': ts, 'data-testid': 'local-notice', role: 'status' },
    [
      el('div', { className: 'message ephemeral' }, [
        el('div', { className: 'avatar avatar-slackbot', 'aria-hidden': 'true' }, ['sb']),
        el('div', { className: 'message-content' }, [
          el('div', { className: 'message-meta' }, [el('span', { className: 'author' }, ['Slackbot'])]),
          el('div', { className: 'ephemeral-note' }, ['👁 Only visible to you']),
          el('div', { className: 'mrkdwn' }, [renderMrkdwn(mrkdwn, { users: state.users })]),
        ]),
      ]),
    ],
  );
  insertByTs(list, node, ts);
  if (stick) scrollToBottom();
}

// ---- buttons and the confirm dialog ----

/** Shows Slack's confirm dialog for a button; resolves true only on confirm. */
function confirmWith(confirm) {
  const textOf = (t, fallback) => (t && typeof t.text === 'string' ? t : { type: 'plain_text', text: fallback });
  const title = dialog.querySelector('[data-testid="confirm-title"]');
  const text = dialog.querySelector('[data-testid="confirm-text"]');
  const ok = dialog.querySelector('[data-testid="confirm-ok"]');
  const deny = dialog.querySelector('[data-testid="confirm-deny"]');
  title.replaceChildren(renderPlainText(textOf(confirm.title, 'Are you sure?').text));
  const body = textOf(confirm.text, '');
  text.replaceChildren(
    body.type === 'mrkdwn' ? renderMrkdwn(body.text, { users: state.users }) : renderPlainText(body.text),
  );
  ok.replaceChildren(renderPlainText(textOf(confirm.confirm, 'Yes').text));
  deny.replaceChildren(renderPlainText(textOf(confirm.deny, 'Cancel').text));
  ok.className = `btn ${confirm.style === 'danger' ? 'btn-danger' : 'btn-primary'}`;
  return new Promise((resolve) => {
    const finish = (answer) => {
      ok.removeEventListener('click', onOk);
      deny.removeEventListener('click', onDeny);
      dialog.removeEventListener('cancel', onCancel);
      if (dialog.open) dialog.close();
      resolve(answer);
    };
    const onOk = () => finish(true);
    const onDeny = () => finish(false);
    const onCancel = (event) => {
      event.preventDefault();
      finish(false);
    };
    ok.addEventListener('click', onOk);
    deny.addEventListener('click', onDeny);
    dialog.addEventListener('cancel', onCancel);
    dialog.showModal();
    deny.focus();
  });
}

async function post(path, body) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  let json;
  try {
    json = await response.json();
  } catch {
    json = { ok: false, error: `HTTP ${response.status}` };
  }
  return json;
}

/** Presses a button: its confirm dialog first, then `path` with `body`; a failure is said on the page. */
async function press(button, node, path, body) {
  if (button.confirm && !(await confirmWith(button.confirm))) return;
  node.disabled = true;
  node.classList.add('busy');
  try {
    const result = await post(path, body);
    if (!result.ok) {
      addNotice(`:warning: The button did not work: \`${escapeMrkdwn(result.error ?? 'unknown error')}\``, 'error');
    }
  } catch (error) {
    addNotice(`:warning: The playground server did not answer (${escapeMrkdwn(String(error))}).`, 'error');
  } finally {
    node.disabled = false;
    node.classList.remove('busy');
  }
}

function pressButton(message, button, blockId, node) {
  return press(button, node, '/playground/click', {
    messageRef: message.id,
    actionId: button.action_id,
    ...(blockId ? { blockId } : {}),
  });
}

function escapeMrkdwn(text) {
  return String(text).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

// ---- the composer ----

async function sendCommandLine(line) {
  const text = line.trim();
  if (text === '') return;
  state.history.push(text);
  const match = /^\/(\S+)(?:\s+([\s\S]*))?$/.exec(text);
  if (!match) {
    addNotice(
      `This playground only runs the \`${escapeMrkdwn(state.command)}\` command. Try \`${escapeMrkdwn(state.command)} help\`.`,
    );
    return;
  }
  const [, name, args = ''] = match;
  if (`/${name.toLowerCase()}` !== state.command) {
    addNotice(
      `\`/${escapeMrkdwn(name)}\` is not a valid command here. Only \`${escapeMrkdwn(state.command)}\` is installed.`,
    );
    return;
  }
  try {
    const result = await post('/playground/command', { text: args.trim() });
    if (!result.ok) {
      addNotice(
        `\`${escapeMrkdwn(state.command)}\` failed with the error "${escapeMrkdwn(result.error ?? 'unknown')}"`,
        'error',
      );
    }
  } catch (error) {
    addNotice(`:warning: The playground server did not answer (${escapeMrkdwn(String(error))}).`, 'error');
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const line = input.value;
  input.value = '';
  void sendCommandLine(line);
});

input.addEventListener('keydown', (event) => {
  if (event.key === 'ArrowUp' && input.value === '' && state.history.length > 0) {
    event.preventDefault();
    input.value = state.history[state.history.length - 1];
  }
});

function renderChrome(snapshot) {
  document.title = `#${snapshot.channel.name} · bulkjob playground`;
  for (const node of document.querySelectorAll('[data-testid="channel-name"], [data-testid="sidebar-channel"]')) {
    node.textContent = snapshot.channel.name;
  }
  input.placeholder = `${snapshot.command} ${snapshot.usageHint}`;
  $('.hint-command').textContent = snapshot.command;
  $('.hint-usage').textContent = snapshot.usageHint;
  const suggestions = $('[data-testid="suggestions"]');
  suggestions.replaceChildren(el('span', { className: 'suggestions-label' }, ['Try:']));
  for (const suggestion of snapshot.suggestions) {
    const chip = el(
      'button',
      { type: 'button', className: 'chip', 'data-testid': 'suggestion', title: suggestion.command },
      [suggestion.label],
    );
    chip.dataset.command = suggestion.command;
    chip.addEventListener('click', () => {
      input.value = suggestion.command;
      input.focus();
    });
    suggestions.append(chip);
  }
  suggestions.hidden = snapshot.suggestions.length === 0;
}

// ---- the Home tab ----

function renderHome() {
  const home = state.home;
  if (!home) {
    homeView.replaceChildren(el('p', { className: 'home-empty', 'data-testid': 'home-empty' }, ['Opening Home…']));
    return;
  }
  const ctx = {
    users: state.users,
    channels: { [state.channel.id]: state.channel.name },
    me: state.me.id,
    onButton: (button, _blockId, node) => press(button, node, '/playground/home/click', { actionId: button.action_id }),
  };
  const body = renderMessageBody({ blocks: home.blocks, text: '' }, ctx);
  body.dataset.publishedAt = String(home.publishedAtMs);
  homeView.replaceChildren(body);
}

/** A sidebar link or a tab: highlighted, and `aria-current`, when it is where the user is. */
function markCurrent(link, current) {
  link.classList.toggle('active', current);
  if (current) link.setAttribute('aria-current', 'page');
  else link.removeAttribute('aria-current');
}

/** Shows the channel or the Home tab, as the address says (`#home`). Opening Home tells the bot, as Slack does. */
async function showPane() {
  const messagesTab = location.hash === '#messages';
  const home = location.hash === '#home' || messagesTab;
  channelPane.hidden = home;
  homePane.hidden = !home;
  homeView.hidden = messagesTab;
  dmList.hidden = !messagesTab;
  markCurrent($('[data-testid="tab-home"]'), !messagesTab);
  markCurrent($('[data-testid="tab-messages"]'), messagesTab);
  markCurrent($('[data-testid="sidebar-channel-link"]'), !home);
  markCurrent($('[data-testid="sidebar-home"]'), home);
  if (!home) {
    input.focus();
    return;
  }
  if (messagesTab) return;
  try {
    const result = await post('/playground/home/open', {});
    if (!result.ok) homeView.prepend(el('p', { className: 'home-error' }, [`Home did not open: ${result.error}`]));
  } catch (error) {
    homeView.prepend(el('p', { className: 'home-error' }, [`The playground server did not answer (${error}).`]));
  }
}

window.addEventListener('hashchange', () => void showPane());

// ---- live updates ----

function setConnection(stateName, text) {
  connection.dataset.state = stateName;
  connection.textContent = text;
}

function connect() {
  const source = new EventSource('/playground/events');
  source.addEventListener('snapshot', (event) => {
    const snapshot = JSON.parse(event.data);
    Object.assign(state, {
      me: snapshot.me,
      bot: snapshot.bot,
      channel: snapshot.channel,
      command: snapshot.command,
      users: { ...snapshot.users },
      dm: snapshot.dm,
    });
    dmList.replaceChildren(
      el('p', { className: 'home-empty', 'data-testid': 'dm-empty' }, [
        'Nothing here yet. /bulkjob export <job> in the channel sends its CSV here.',
      ]),
    );
    state.messages.clear();
    list.replaceChildren();
    renderChrome(snapshot);
    const messages = [...snapshot.messages].sort((a, b) => tsNumber(a.ts) - tsNumber(b.ts));
    for (const message of messages) upsert(message);
    scrollToBottom();
    state.home = snapshot.home;
    if (snapshot.home) Object.assign(state.users, snapshot.home.users);
    renderHome();
    setConnection('live', 'Live');
    document.body.dataset.ready = 'true';
  });
  source.addEventListener('home', (event) => {
    state.home = JSON.parse(event.data);
    Object.assign(state.users, state.home.users);
    renderHome();
  });
  source.addEventListener('change', (event) => {
    const change = JSON.parse(event.data);
    Object.assign(state.users, change.users);
    upsert(change.message);
  });
  source.addEventListener('open', () => setConnection('live', 'Live'));
  source.addEventListener('error', () => setConnection('connecting', 'Reconnecting…'));
}

connect();
void showPane();

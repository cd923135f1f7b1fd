// Block Kit → DOM, for what the bot sends: header, section (text, fields, accessory), context, divider,
// actions, image. An unknown block or element is shown as a visible placeholder, never dropped.
// https://docs.slack.dev/reference/block-kit/blocks
import { renderMrkdwn, renderPlainText } from './mrkdwn.js';

function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'className') node.className = value;
    else if (key.startsWith('data-')) node.setAttribute(key, String(value));
    else node[key] = value;
  }
  for (const child of children) if (child !== undefined && child !== null) node.append(child);
  return node;
}

function isObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A text object (mrkdwn or plain_text) as DOM. */
export function renderTextObject(text, ctx) {
  if (!isObject(text)) return document.createTextNode('');
  if (text.type === 'mrkdwn') return renderMrkdwn(text.text ?? '', ctx);
  return renderPlainText(text.text ?? '', text.emoji !== false);
}

function unsupported(kind, type) {
  return el('div', { className: 'unsupported', 'data-testid': `unsupported-${kind}` }, [
    `Unsupported ${kind}: ${String(type ?? 'unknown')}`,
  ]);
}

/** A button (in an actions block or as a section accessory). `ctx.onButton(button, blockId, node)` on click. */
function renderButton(button, blockId, ctx) {
  const style = button.style === 'primary' || button.style === 'danger' ? button.style : undefined;
  const node = el(
    'button',
    {
      type: 'button',
      className: `btn${style ? ` btn-${style}` : ''}`,
      'data-testid': 'button',
      'data-action-id': button.action_id,
      'data-block-id': blockId,
      'data-confirm': isObject(button.confirm) ? 'true' : undefined,
    },
    [renderPlainText(button.text?.text ?? '', button.text?.emoji !== false)],
  );
  if (typeof button.url === 'string') node.title = button.url;
  node.addEventListener('click', () => ctx.onButton?.(button, blockId, node));
  return node;
}

function renderElement(element, blockId, ctx) {
  if (!isObject(element)) return unsupported('element', typeof element);
  if (element.type === 'button') return renderButton(element, blockId, ctx);
  return unsupported('element', element.type);
}

function renderImageAlt(image) {
  const alt = typeof image.alt_text === 'string' && image.alt_text !== '' ? image.alt_text : 'image';
  return el('span', { className: 'image-alt', 'data-testid': 'image-alt', title: alt }, [`🖼 ${alt}`]);
}

const BLOCKS = {
  header(block, ctx) {
    return el('div', { className: 'b-header' }, [renderTextObject(block.text, ctx)]);
  },
  section(block, ctx) {
    const main = el('div', { className: 'b-section-main' });
    if (isObject(block.text)) main.append(el('div', { className: 'mrkdwn' }, [renderTextObject(block.text, ctx)]));
    if (Array.isArray(block.fields) && block.fields.length > 0) {
      main.append(
        el(
          'div',
          { className: 'b-fields' },
          block.fields.map((field) => el('div', { className: 'b-field mrkdwn' }, [renderTextObject(field, ctx)])),
        ),
      );
    }
    const node = el('div', { className: 'b-section' }, [main]);
    if (isObject(block.accessory)) {
      const accessory = block.accessory;
      const rendered =
        accessory.type === 'image' ? renderImageAlt(accessory) : renderElement(accessory, block.block_id, ctx);
      node.append(el('div', { className: 'b-accessory' }, [rendered]));
    }
    return node;
  },
  context(block, ctx) {
    const elements = Array.isArray(block.elements) ? block.elements : [];
    return el(
      'div',
      { className: 'b-context' },
      elements.map((element) => {
        if (isObject(element) && element.type === 'image') return renderImageAlt(element);
        if (isObject(element) && (element.type === 'mrkdwn' || element.type === 'plain_text')) {
          return el('span', { className: 'b-context-item mrkdwn' }, [renderTextObject(element, ctx)]);
        }
        return unsupported('element', element?.type);
      }),
    );
  },
  divider() {
    return el('hr', { className: 'b-divider' });
  },
  actions(block, ctx) {
    const elements = Array.isArray(block.elements) ? block.elements : [];
    return el(
      'div',
      { className: 'b-actions' },
      elements.map((element) => renderElement(element, block.block_id, ctx)),
    );
  },
  image(block) {
    return el('div', { className: 'b-image' }, [renderImageAlt(block)]);
  },
};

/** One block, wrapped with its type and block_id for tests. */
export function renderBlock(block, ctx) {
  const type = isObject(block) ? block.type : undefined;
  const render = typeof type === 'string' && Object.hasOwn(BLOCKS, type) ? BLOCKS[type] : undefined;
  const body = render ? render(block, ctx) : unsupported('block', type);
  return el('div', { className: 'block', 'data-block-type': String(type), 'data-block-id': block?.block_id }, [body]);
}

/** A message's content: its blocks, or its fallback text when it has none (as Slack shows it). */
export function renderMessageBody(message, ctx) {
  const body = el('div', { className: 'message-body', 'data-testid': 'message-body' });
  if (Array.isArray(message.blocks) && message.blocks.length > 0) {
    for (const block of message.blocks) body.append(renderBlock(block, ctx));
  } else {
    body.append(el('div', { className: 'mrkdwn' }, [renderMrkdwn(message.text ?? '', ctx)]));
  }
  return body;
}

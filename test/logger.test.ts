import { LogLevel } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { createLogger, scrub, toSlackLogger } from '../src/logger.js';

function capture(secrets: string[] = []) {
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', secrets, destination: { write: (l: string) => void lines.push(l) } });
  return { logger, lines, text: () => lines.join('\n') };
}

describe('logger redaction', () => {
  it('scrubs Slack tokens, bearer tokens and e-mail addresses from message strings', () => {
    const { logger, text } = capture();
    logger.info('calling with xoxb-123-456-abcdef and Bearer cf.TOKEN_value for jane.doe@example-corp.com');
    expect(text()).not.toMatch(/xoxb-123|cf\.TOKEN_value|jane\.doe@/);
    expect(text()).toContain('[email redacted]');
  });

  it('redacts secret fields by key and configured secret values anywhere', () => {
    const { logger, text } = capture(['my-signing-secret-value']);
    logger.info(
      {
        headers: { authorization: 'Bearer abc', 'x-auth-key': 'k-123' },
        recipient: 'bob@example.com',
        note: 'signature made with my-signing-secret-value',
      },
      'request',
    );
    expect(text()).not.toMatch(/Bearer abc|k-123|bob@example\.com|my-signing-secret-value/);
  });

  it('scrubs error messages and stacks', () => {
    const { logger, text } = capture();
    logger.error({ err: new Error('failed for alice@example.com with xapp-1-SECRET') }, 'boom');
    expect(text()).not.toMatch(/alice@example\.com|xapp-1-SECRET/);
  });

  it('Bolt logs through pino, at our level, redacted', () => {
    const { logger, lines } = capture();
    const slack = toSlackLogger(logger);
    slack.setLevel(LogLevel.ERROR);
    slack.info('socket opened for', { token: 'xoxb-9-9-secret' });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ module: 'bolt', level: 30 });
    expect(lines[0]).not.toContain('xoxb-9-9-secret');
    expect(slack.getLevel()).toBe(LogLevel.DEBUG);
  });

  it('scrubs nested values, any-case secret keys, and non-ASCII addresses', () => {
    const { logger, text } = capture();
    logger.info(
      {
        nested: { deeper: { note: 'reply to josé@example.com or bob@bücher.de' } },
        headers: { Authorization: 'Bearer top-secret', 'X-Auth-Key': 'legacy-key-1' },
        list: ['carol@example.org'],
      },
      'nested',
    );
    expect(text()).not.toMatch(/josé|bücher|top-secret|legacy-key-1|carol@/);
  });

  it('keeps an error’s type, code and stack (scrubbed)', () => {
    const { logger, lines } = capture();
    const error = Object.assign(new TypeError('bad thing for dave@example.com'), { code: 'E_BAD' });
    logger.error({ err: error }, 'failed');
    const line = JSON.parse(lines[0]!) as { err: { type: string; code: string; message: string; stack: string } };
    expect(line.err.type).toBe('TypeError');
    expect(line.err.code).toBe('E_BAD');
    expect(line.err.stack).toMatch(/TypeError/);
    expect(JSON.stringify(line)).not.toContain('dave@example.com');
  });

  it('scrubs the Slack payloads Socket Mode logs at debug', () => {
    const { logger, text } = capture();
    const slack = toSlackLogger(logger);
    slack.debug(
      'Received a message on the WebSocket: {"envelope_id":"1","payload":{"token":"Hx7verificationTOKEN99",' +
        '"response_url":"https://hooks.slack.com/commands/T1/123/AbCdSecretPath"}}',
    );
    slack.debug('http request result: {"url":"wss://wss-primary.slack.com/link/?ticket=abc123&app_id=A1"}');
    expect(text()).not.toMatch(/Hx7verificationTOKEN99|AbCdSecretPath|ticket=abc123/);
  });

  it('scrub leaves ordinary text alone', () => {
    expect(scrub('job 182bd5e5 is PROCESSING')).toBe('job 182bd5e5 is PROCESSING');
  });
});

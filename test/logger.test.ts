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

  it('scrub leaves ordinary text alone', () => {
    expect(scrub('job 182bd5e5 is PROCESSING')).toBe('job 182bd5e5 is PROCESSING');
  });
});

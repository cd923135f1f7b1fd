/** A request's kind label: the command's verb or the button's declared `action_id`, from bounded sets. */
import { describe, expect, it } from 'vitest';
import { homeStopButton } from '../../src/features/home/buttons.js';
import { nextButton } from '../../src/features/job-view/buttons.js';
import { listViewButton } from '../../src/features/list/buttons.js';
import { clickKind, commandKind } from '../../src/slack/request-metrics.js';
import { BUTTONS } from '../../src/slack/routes.js';

const JOB = '182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e';

describe('commandKind', () => {
  it.each<[string | undefined, string]>([
    [undefined, 'help'],
    ['help', 'help'],
    [JOB, 'view'],
    [`${JOB} failed`, 'view'],
    ['list', 'list'],
    [`watch ${JOB}`, 'watch'],
    [`EXPORT ${JOB}`, 'export'],
    ['nonsense', 'invalid'],
    [`${JOB} 0f8fad5b-d9cb-469f-a165-70867728950e`, 'invalid'],
  ])('%j → %s', (text, kind) => {
    expect(commandKind(text)).toBe(kind);
  });
});

describe('clickKind', () => {
  it('is the declared action_id without its prefix, the same for every row of an indexed button', () => {
    expect(clickKind(nextButton.actionId)).toBe('nav_next');
    expect(clickKind(`${listViewButton.actionId}_3`)).toBe('list_view');
    expect(clickKind(`${homeStopButton.actionId}_12`)).toBe('home_stop');
    expect(clickKind('bulkjob_from_an_older_version')).toBe('unknown');
  });

  it('tells every button apart', () => {
    // An indexed button's clicks carry `<actionId>_<row>`.
    const clicked = (button: (typeof BUTTONS)[number]) =>
      button.matches(button.actionId) ? button.actionId : `${button.actionId}_0`;
    const kinds = BUTTONS.map((button) => clickKind(clicked(button)));
    expect(new Set(kinds).size).toBe(BUTTONS.length);
    expect(kinds).not.toContain('unknown');
  });
});

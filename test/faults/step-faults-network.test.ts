// The step × fault matrix (see step-walk.ts) over the network steps (preflight to reboot).
import { after, describe, test } from 'node:test';
import { guideStepIds } from '../../source/steps/step.js';
import type { Lab } from '../lab/lab.js';
import { startWalkLabs, walkStepsWithFaults } from './step-walk.js';

describe('the network steps (preflight to reboot) with a fault on one node each', {
  timeout: 1_800_000,
}, () => {
  let labs: Lab[] = [];
  after(() => Promise.all(labs.map((lab) => lab.stop())));

  test('the others finish, each failure is said in words, clearing it converges', async () => {
    labs = await startWalkLabs();
    await walkStepsWithFaults(
      labs[0]!,
      labs[1]!,
      guideStepIds.slice(0, guideStepIds.indexOf('keys')),
    );
  });
});

import { describe, expect, it } from 'vitest';
import { pssControls } from '../controls/pss/index.js';
import { frameworkControlSets } from './ports.js';

const ids = (xs: readonly { id: string }[] | undefined): string[] | undefined => xs?.map((x) => x.id).sort();

describe('frameworkControlSets', () => {
  const resolve = frameworkControlSets();

  it.each([
    ['pss:restricted', undefined, pssControls('restricted', 'latest')],
    // Label-safe spellings: ':' is not allowed in a Kubernetes label value.
    ['pss-restricted', undefined, pssControls('restricted', 'latest')],
    ['pss.baseline', undefined, pssControls('baseline', 'latest')],
    ['pss-restricted', 'v1.18', pssControls('restricted', 'v1.18')],
  ])('%s (version %s) selects the PSS checks of that level', (name, version, expected) => {
    expect(ids(resolve(name, version))).toEqual(ids(expected));
  });

  it.each(['pss-privileged', 'pss:', 'cis,nsa', '', 'bogus'])('%j selects nothing', (name) => {
    expect(resolve(name, undefined)).toBeUndefined();
  });
});

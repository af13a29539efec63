/**
 * The unconditional procMount rule shared by pss/procMount (before v1.35, and from v1.35 for
 * pods outside a user namespace) and pss/procMount_restricted: every container's
 * `securityContext.procMount` must be undefined or `Default`.
 */
import {
  containersPhrase,
  deny,
  isNil,
  joinQuote,
  securityContextOf,
  sortedSet,
  str,
  type PssCheckFn,
} from './shared.js';

/** Denies containers whose procMount is set to anything but `Default`. */
export const procMountUnconditional: PssCheckFn = (pod) => {
  const names: string[] = [];
  const types: string[] = [];
  const paths: string[] = [];
  for (const c of pod.containers) {
    const value = securityContextOf(c.container)?.procMount;
    if (isNil(value) || value === 'Default') continue;
    names.push(c.name);
    types.push(str(value));
    paths.push(pod.specPath(...c.at, 'securityContext', 'procMount'));
  }
  if (names.length === 0) return undefined;
  return deny(
    'procMount',
    `${containersPhrase(names)} must not set securityContext.procMount to ${joinQuote(sortedSet(types))}`,
    paths,
  );
};

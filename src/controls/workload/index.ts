import type { Control } from '../../core/index.js';
import { dropAllCapabilities, noAddedCapabilities, noNetRaw } from './capabilities.js';
import { noHostIpc, noHostPid } from './host-namespaces.js';
import { imageTag } from './image-tag.js';
import { allowedRegistries, imageDigest, imagePullPolicy } from './images.js';
import { noUnconfinedMac } from './mac-profiles.js';
import { noDefaultNamespace } from './no-default-namespace.js';
import { noHostPath } from './no-host-path.js';
import { noHostPorts } from './no-host-ports.js';
import { noPrivilegeEscalation } from './no-privilege-escalation.js';
import { noPrivileged } from './no-privileged.js';
import { noRootGroup } from './no-root-group.js';
import { livenessProbe, readinessProbe } from './probes.js';
import { readOnlyRootFs } from './read-only-root-fs.js';
import { resourceLimits } from './resource-limits.js';
import { resourceRequests } from './resource-requests.js';
import { runAsNonRoot } from './run-as-non-root.js';
import { seccompProfile } from './seccomp-profile.js';
import { noAutomountToken, noDefaultServiceAccount } from './service-account.js';
import { noWindowsHostProcess } from './windows-host-process.js';

export { imageTagOf } from './image-tag.js';
export { imageRepository } from './images.js';

/** Workload hardening controls (NSA/CISA pod security, CIS 5.2.x, 5.7.x). */
export const WORKLOAD_CONTROLS: readonly Control[] = [
  noPrivileged,
  noPrivilegeEscalation,
  runAsNonRoot,
  noRootGroup,
  noAddedCapabilities,
  dropAllCapabilities,
  noNetRaw,
  readOnlyRootFs,
  noHostPid,
  noHostIpc,
  noHostPorts,
  noHostPath,
  noWindowsHostProcess,
  seccompProfile,
  noUnconfinedMac,
  noAutomountToken,
  noDefaultServiceAccount,
  resourceLimits,
  resourceRequests,
  livenessProbe,
  readinessProbe,
  imageTag,
  imageDigest,
  imagePullPolicy,
  allowedRegistries,
  noDefaultNamespace,
];

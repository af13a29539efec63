export * from './types.js';
export * from './ports.js';
export * from './parse.js';
export * from './config.js';
export * from './decide.js';
export * from './decision-log.js';
export * from './text.js';
export * from './server.js';
export {
  startReviewPool,
  type NamespaceChange,
  type NamespaceSource,
  type PoolOutcome,
  type ReviewPool,
  type ReviewPoolOptions,
} from './pool.js';
export { reviewHead, undecidedAnswer, type ReviewHead, type UndecidedReason } from './overload.js';
export type { NamespaceWatch, NamespaceWatchOptions } from './namespace-watch.js';

/** Lists and watches the cluster's Namespaces; loads the Kubernetes client only when called. */
export async function watchNamespaces(
  options?: import('./namespace-watch.js').NamespaceWatchOptions,
): Promise<import('./namespace-watch.js').NamespaceWatch> {
  const { watchNamespaces: watch } = await import('./namespace-watch.js');
  return watch(options);
}
export type { CertificateOptions, PemPair, WebhookCertificates } from './cert.js';

/** Creates a CA and the webhook's certificates; loads the X.509 library only when called. */
export async function createWebhookCertificates(
  options: import('./cert.js').CertificateOptions,
): Promise<import('./cert.js').WebhookCertificates> {
  const { createWebhookCertificates: create } = await import('./cert.js');
  return create(options);
}
export * from './install.js';
export {
  deploymentOf,
  fakePolicies,
  podOf,
  reviewOf,
  type FakePolicy,
  type ReviewOptions,
} from './testing.js';
export { request as httpsRequest, type ClientRequestOptions, type ClientResponse } from './test-client.js';
export { celPolicyEvaluator } from './cel-evaluator.js';
export { loadCelPolicies } from './policies.js';
export type { ApplyOptions, AppliedObject } from './apply.js';

/** Creates or replaces objects in the cluster of a kubeconfig; loads the Kubernetes client only when called. */
export async function applyObjects(
  objects: readonly import('../core/index.js').KubeObject[],
  options?: import('./apply.js').ApplyOptions,
): Promise<import('./apply.js').AppliedObject[]> {
  const { applyObjects: apply } = await import('./apply.js');
  return apply(objects, options);
}
export {
  imagesConfigSchema,
  compileImageGate,
  imagesUnderReview,
  signaturePolicyFingerprint,
  type ImagesConfig,
  type CompiledImageGate,
} from './images.js';

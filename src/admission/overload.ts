/**
 * Answers for reviews that are not decided: one cut at its deadline or shed from a full queue.
 * They follow the configured failure policy (Fail denies, Ignore admits and says so), and
 * need the review's uid and AdmissionReview version without parsing the body on the main
 * thread: `reviewHead` reads them from the first bytes, where the API server writes them
 * (`{"kind":"AdmissionReview","apiVersion":…,"request":{"uid":…`), and parses the whole body
 * only when it is small. When neither works the caller answers an HTTP error and the API
 * server applies the webhook's own failurePolicy.
 */
import { ADMISSION_VERSIONS, type AdmissionReviewResponse, type AdmissionVersion } from './types.js';
import { reviewUid } from './parse.js';

/** The uid and version of a review, enough to answer it. */
export interface ReviewHead {
  uid: string;
  apiVersion: AdmissionVersion;
}

const HEAD_BYTES = 4096;
/** Bodies up to this size may be parsed whole on the main thread when their head does not tell. */
export const PARSE_WHOLE_MAX_BYTES = 64 * 1024;
const UID_FIRST = /"request"\s*:\s*\{\s*"uid"\s*:\s*"([^"\\]{1,256})"/;
const VERSION = /"apiVersion"\s*:\s*"(admission\.k8s\.io\/v1(?:beta1)?)"/;

/** Reads the uid and version of a review from its raw body, or undefined when it cannot cheaply. */
export function reviewHead(body: Uint8Array): ReviewHead | undefined {
  const head = Buffer.from(body.buffer, body.byteOffset, Math.min(body.byteLength, HEAD_BYTES)).toString(
    'utf8',
  );
  const uid = UID_FIRST.exec(head)?.[1];
  const version = VERSION.exec(head)?.[1];
  if (uid !== undefined && version !== undefined) return { uid, apiVersion: version as AdmissionVersion };
  if (body.byteLength > PARSE_WHOLE_MAX_BYTES) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch {
    return undefined;
  }
  const wholeUid = reviewUid(parsed);
  const apiVersion = (parsed as { apiVersion?: unknown }).apiVersion;
  if (
    wholeUid === undefined ||
    wholeUid === '' ||
    !(ADMISSION_VERSIONS as readonly unknown[]).includes(apiVersion)
  )
    return undefined;
  return { uid: wholeUid, apiVersion: apiVersion as AdmissionVersion };
}

/** Why a review was not decided. */
export type UndecidedReason = 'deadline' | 'shed' | 'worker';

/** The AdmissionReview answer for an undecided review under the failure policy. */
export function undecidedAnswer(
  head: ReviewHead,
  reason: UndecidedReason,
  failurePolicy: 'Fail' | 'Ignore',
  detail: string,
): AdmissionReviewResponse {
  const what =
    reason === 'deadline'
      ? `the review was not decided within its deadline (${detail})`
      : reason === 'shed'
        ? `palisade is overloaded (${detail})`
        : `the evaluation failed (${detail})`;
  if (failurePolicy === 'Ignore')
    return {
      apiVersion: head.apiVersion,
      kind: 'AdmissionReview',
      response: {
        uid: head.uid,
        allowed: true,
        warnings: [`palisade: admitted unchecked: ${what}`.slice(0, 120)],
        auditAnnotations: { 'evaluation-errors-ignored': `${reason}: ${what}`.slice(0, 1024) },
      },
    };
  return {
    apiVersion: head.apiVersion,
    kind: 'AdmissionReview',
    response: {
      uid: head.uid,
      allowed: false,
      status: {
        metadata: {},
        status: 'Failure',
        code: reason === 'deadline' ? 504 : reason === 'shed' ? 503 : 500,
        reason:
          reason === 'deadline' ? 'Timeout' : reason === 'shed' ? 'ServiceUnavailable' : 'InternalError',
        message: `palisade denied the request (failurePolicy Fail): ${what}`,
      },
    },
  };
}

/**
 * Regenerates deploy/manifests/palisade-admission.yaml from `palisade admission install`:
 * `npm run docs:manifests`. A test (admission.test.ts) fails when the committed file differs.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ADMISSION_MANIFESTS, formattedAdmissionManifests } from './admission-manifests.js';

const root = path.resolve(import.meta.dirname, '../../..');
writeFileSync(path.join(root, ADMISSION_MANIFESTS), await formattedAdmissionManifests(root));
process.stdout.write(`wrote ${ADMISSION_MANIFESTS}\n`);

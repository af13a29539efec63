/**
 * Regenerates docs/controls.md from the control declarations: `npm run docs:controls`.
 * A test (controls.test.ts) fails when the committed page differs from this output.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { CONTROLS_DOC, formattedControlsDoc } from './controls-doc.js';

const root = path.resolve(import.meta.dirname, '../../..');
writeFileSync(path.join(root, CONTROLS_DOC), await formattedControlsDoc(root));
process.stdout.write(`wrote ${CONTROLS_DOC}\n`);

// The image job's thread when Palisade runs from its TypeScript sources (tests): worker threads
// do not inherit the parent's TypeScript loader, so this loads admission-images-worker.ts
// through tsx. The build runs admission-images-worker.js directly.
import { tsImport } from 'tsx/esm/api';

await tsImport('./admission-images-worker.ts', import.meta.url);

// The evaluation worker when Palisade runs from its TypeScript sources (tests, benches):
// worker threads do not inherit the parent's TypeScript loader, so this loads worker.ts
// through tsx. The build runs worker.js directly.
import { tsImport } from 'tsx/esm/api';

const mod = await tsImport('./worker.ts', import.meta.url);
export default mod.default;

/**
 * The sources as they ship, for benches whose figure is a server's CPU: `npm run bench` runs
 * through tsx, whose transform keeps function names by wrapping every named function and
 * arrow function in a helper call (`__name(fn, "name")`, an `Object.defineProperty` each time
 * the closure is created). `npm run build` (tsc) emits no such call. A closure created per
 * request then costs the tsx-run server a property definition per request that the released
 * one never pays (measured on the admission review: decide() 41–47 µs under tsx, 31–33 µs
 * without the helper). So a server child is run from this tree: every non-test source of
 * `src/` and the given bench files, each transpiled by TypeScript itself
 * (`ts.transpileModule`, the project's target, no bundling, so `worker.js` still sits beside
 * `pool.js` as in `dist/`), with `node_modules`, `examples` and `package.json` linked in.
 */
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(import.meta.dirname, '..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'testdata') out.push(...sources(full));
    } else if (
      entry.name.endsWith('.ts') &&
      !entry.name.endsWith('.test.ts') &&
      !entry.name.endsWith('.d.ts')
    )
      out.push(full);
  }
  return out;
}

/**
 * Transpiles `src/` and `benchFiles` (paths relative to the repository) into `outDir`;
 * returns the path of the first bench file's JavaScript. `srcRoot` takes `src/` from another
 * checkout (e.g. `git archive main src | tar -x -C DIR`), for a paired A/B of two versions.
 */
export function compileForBench(outDir: string, benchFiles: readonly string[], srcRoot = ROOT): string {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    verbatimModuleSyntax: true,
    sourceMap: false,
  };
  const files = [
    ...sources(path.join(srcRoot, 'src')).map((f) => [srcRoot, f] as const),
    ...benchFiles.map((f) => [ROOT, path.join(ROOT, f)] as const),
  ];
  for (const [root, file] of files) {
    const rel = path.relative(root, file);
    const js = ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions: options, fileName: rel });
    const target = path.join(outDir, rel.replace(/\.ts$/, '.js'));
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, js.outputText);
  }
  for (const link of ['node_modules', 'examples', 'package.json'])
    symlinkSync(path.join(ROOT, link), path.join(outDir, link));
  const first = benchFiles[0];
  if (first === undefined) throw new Error('compileForBench: no bench file');
  return path.join(outDir, first.replace(/\.ts$/, '.js'));
}

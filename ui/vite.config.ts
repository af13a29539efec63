import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The dashboard is served by `palisade serve` under a strict Content-Security-Policy
// (script-src 'self'; style-src 'self'): no inline scripts or styles may appear in the output,
// so the module-preload polyfill (an inline helper in some setups) is off and CSS is emitted
// as files, never injected.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  publicDir: false,
  build: {
    outDir: fileURLToPath(new URL('../dist/ui', import.meta.url)),
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    cssCodeSplit: false,
    assetsInlineLimit: 0,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
  },
  esbuild: { jsx: 'automatic' },
});

/**
 * Builds the web console into web/dist, which a node serves at `/` (see
 * src/api/static-files.ts). `npm run build:web` runs it; `npx vite --config
 * web/vite.config.ts` serves it in development, proxying the API to the node
 * named by MERIDIAN_NODE (default: validator-0 of a local devnet).
 */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const webRoot = fileURLToPath(new URL('.', import.meta.url));
const node = process.env.MERIDIAN_NODE ?? 'http://127.0.0.1:8600';

export default defineConfig({
  root: webRoot,
  base: './',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // keccak (hash-wasm) is initialised with a top-level await.
    target: 'es2022',
    chunkSizeWarningLimit: 1200,
  },
  server: {
    proxy: {
      '/v1': { target: node, ws: true },
      '/metrics': node,
      '/openapi.json': node,
    },
  },
});

import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

// The gateway serves dist/ from its own origin (GATEHOUSE_WEB_ROOT); `pnpm demo` builds it.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The CSP allows no inline script: everything stays in files under assets/.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
})

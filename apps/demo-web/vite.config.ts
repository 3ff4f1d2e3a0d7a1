import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { defineConfig, type Plugin } from 'vite'

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))

/**
 * The docs the demo links to (the README, the verify guide, the threat model), copied into the
 * build as plain text under docs/, so the links work from the demo's own origin.
 */
function docs(): Plugin {
  const files = { 'docs/README.txt': 'README.md', 'docs/verify-guide.txt': 'packages/verify/README.md', 'docs/THREATS.txt': 'THREATS.md' }
  return {
    name: 'gatehouse-docs',
    generateBundle() {
      for (const [fileName, source] of Object.entries(files)) {
        this.emitFile({ type: 'asset', fileName, source: readFileSync(`${REPO_ROOT}${source}`, 'utf8') })
      }
    },
  }
}

// The gateway serves dist/ from its own origin (GATEHOUSE_WEB_ROOT); `pnpm demo` builds it.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [docs()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The CSP allows no inline script: everything stays in files under assets/.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
})

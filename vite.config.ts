import { defineConfig } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// `vite dev` serves the SPA alone; API and sandbox calls go to a `wrangler dev`
// running beside it on its default port.
const WORKER_ORIGIN = "http://localhost:8787";

export default defineConfig({
  root: "web",
  // The Svelte config sits at the repository root beside this file, not in `root`.
  plugins: [svelte({ configFile: "../svelte.config.js" })],
  build: {
    outDir: "../dist/web",
    emptyOutDir: true,
  },
  server: {
    proxy: {
      "/api": { target: WORKER_ORIGIN, ws: true },
      "/sandbox": WORKER_ORIGIN,
    },
  },
});

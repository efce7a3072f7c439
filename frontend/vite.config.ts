import { defineConfig } from 'vitest/config';

// The panel serves the built portal from its static resources at /; in development, `npm run dev`
// proxies the API, the sign-in and the console sockets to a running panel (PANEL_URL).
const panel = process.env.PANEL_URL ?? 'http://localhost:8080';

export default defineConfig({
  build: {
    // noVNC uses top-level await.
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1024,
  },
  server: {
    proxy: {
      '/api': { target: panel, changeOrigin: false },
      '/login': { target: panel, changeOrigin: false },
      '/logout': { target: panel, changeOrigin: false },
      '/ws': { target: panel, ws: true },
    },
  },
  test: {
    include: ['src/**/*.spec.ts'],
    environment: 'node',
  },
});

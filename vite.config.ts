import { defineConfig } from 'vite';

// The dashboard is built into dist/client and served by the lab server (npm start).
// In `npm run dev` Vite serves it with hot reload and proxies the API and socket.io
// to the lab server, keeping the browser's Host so the server's same-origin checks hold.
const apiTarget = `http://127.0.0.1:${process.env.LAB_API_PORT ?? '3001'}`;

export default defineConfig({
  root: 'client',
  build: { outDir: '../dist/client', emptyOutDir: true },
  server: {
    host: '127.0.0.1',
    port: 5173,
    proxy: {
      '/api': { target: apiTarget, changeOrigin: false },
      '/socket.io': { target: apiTarget, changeOrigin: false, ws: true },
    },
  },
});

import vue from "@vitejs/plugin-vue";
import { defineConfig } from "vite";

// CHIIKI_API is the gateway a dev server or `vite preview` forwards /api to (same origin for the
// browser, so no CORS is needed outside the gateway's own serving).
const api = process.env.CHIIKI_API ?? "http://127.0.0.1:8080";

export default defineConfig({
  plugins: [vue()],
  build: { outDir: "dist", sourcemap: false, chunkSizeWarningLimit: 1200 },
  server: { proxy: { "/api": api } },
  preview: { proxy: { "/api": api } },
});

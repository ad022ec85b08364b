import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The API's address is read at build time from VITE_API_URL (see src/config.ts).
// `vite preview` serves index.html for every path that is not a file (SPA fallback),
// so /verify-email?token=... and the other routes work when opened directly.
export default defineConfig({
  plugins: [react()],
  server: { host: "127.0.0.1", port: 5173, strictPort: true },
  preview: { host: "127.0.0.1", port: 4173, strictPort: true },
});

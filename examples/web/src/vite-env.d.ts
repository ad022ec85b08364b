/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** The API's mount base, e.g. `https://todo.example.com` (default `http://127.0.0.1:8000`). */
  readonly VITE_API_URL?: string;
  /** Tasks per page of the task list (default 10). */
  readonly VITE_PAGE_SIZE?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}

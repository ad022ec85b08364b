interface PagerProps {
  /** 1 for the first (newest) page. */
  pageNumber: number;
  hasOlder: boolean;
  busy: boolean;
  onNewer(): void;
  onOlder(): void;
}

/** "Newer" and "Older" under the list (the API pages with a cursor, newest first). */
export function Pager({ pageNumber, hasOlder, busy, onNewer, onOlder }: PagerProps) {
  if (pageNumber === 1 && !hasOlder) return null;
  return (
    <nav className="pager" aria-label="Pages of tasks">
      <button type="button" className="button" onClick={onNewer} disabled={pageNumber === 1 || busy}>
        ← Newer
      </button>
      <span className="pager__page" aria-live="polite">
        Page {pageNumber}
      </span>
      <button type="button" className="button" onClick={onOlder} disabled={!hasOlder || busy}>
        Older →
      </button>
    </nav>
  );
}

/** A small spinning circle; decorative (the text next to it says what is going on). */
export function Spinner() {
  return <span className="spinner" aria-hidden="true" />;
}

/** A loading message for a page or a list: "Loading tasks…". */
export function Loading({ children }: { children: string }) {
  return (
    <p className="loading" role="status">
      <Spinner /> {children}
    </p>
  );
}

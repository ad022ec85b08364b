import { useEffect, useRef } from "react";

/**
 * The page's `<h1>`. It also sets the document title and, when the page opens, takes the focus,
 * so that keyboard and screen-reader users start at the top of the new page (as after a page load).
 */
export function PageHeading({ children }: { children: string }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${children} · Todo`;
    heading.current?.focus();
  }, [children]);
  return (
    <h1 ref={heading} tabIndex={-1}>
      {children}
    </h1>
  );
}

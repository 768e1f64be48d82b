import { useEffect, useRef, type ReactNode } from "react";

/** The heading of a step that replaces the previous one: it takes the focus when it appears, so a
 * screen reader or keyboard user continues from it (RGAA 12.x) instead of from the top. */
export function StepHeading({ children }: { children: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return <h2 ref={ref} tabIndex={-1} className="fr-h4">{children}</h2>;
}

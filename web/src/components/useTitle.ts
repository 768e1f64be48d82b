import { useEffect } from "react";

/** The document title names the page (RGAA 8.6): "Page — Mon espace santé". */
export function useTitle(page: string): void {
  useEffect(() => {
    document.title = `${page} — Mon espace santé`;
  }, [page]);
}

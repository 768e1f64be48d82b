import { useEffect, useRef, useState } from "react";

type Page<T> = { items: T[]; next_cursor?: string | null };

/**
 * A list of the API read page by page (`{items, next_cursor}`, API.md "Lists"), for the espace the
 * pages act on: reloaded from its first page when the espace changes, `more()` appends the next page.
 */
export function usePages<T>(espaceId: string, fetchPage: (cursor: string | null) => Promise<Page<T> | undefined>) {
  const [items, setItems] = useState<T[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  const latest = useRef(fetchPage);
  latest.current = fetchPage;

  const load = async (after: string | null) => {
    const page = await latest.current(after).catch(() => undefined);
    if (!page) return setFailed(true);
    setFailed(false);
    setItems((previous) => (after && previous ? [...previous, ...page.items] : page.items));
    setCursor(page.next_cursor ?? null);
  };
  useEffect(() => {
    setItems(null);
    void load(null);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [espaceId]);

  return { items, cursor, failed, more: () => load(cursor) };
}

import { useCallback, useEffect, useRef, useState } from "react";
import { api } from "../../api/client";
import type { Doc } from "./DocumentItem";

const FIRST_POLL_MS = 1500;
const LONGEST_POLL_MS = 15_000;

/**
 * The espace's documents, newest first, page by page (GET …/documents?category=), and the pending
 * ones asked again, more and more rarely, until the validation says "available" or "rejected".
 */
export function useDocuments(espaceId: string, category: string) {
  const [items, setItems] = useState<Doc[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  const [round, setRound] = useState(0);

  const load = useCallback(async (after: string | null) => {
    const query = { ...(category ? { category } : {}), ...(after ? { cursor: after } : {}) };
    const { data } = await api.GET("/espaces/{espace_id}/documents", { params: { path: { espace_id: espaceId }, query } });
    if (!data) return setFailed(true);
    setFailed(false);
    setItems((previous) => (after && previous ? [...previous, ...data.items] : data.items));
    setCursor(data.next_cursor ?? null);
  }, [espaceId, category]);

  useEffect(() => {
    setItems(null);
    void load(null);
  }, [load]);

  const pending = (items ?? []).filter((d) => d.status === "pending").map((d) => d.id).join(",");
  const polls = useRef(0);
  useEffect(() => {
    if (!pending) return;
    const delay = Math.min(FIRST_POLL_MS * 1.5 ** polls.current, LONGEST_POLL_MS);
    const timer = window.setTimeout(async () => {
      polls.current += 1;
      const fresh = await Promise.all(pending.split(",").map(async (id) => {
        const { data } = await api.GET("/espaces/{espace_id}/documents/{document_id}", {
          params: { path: { espace_id: espaceId, document_id: id } },
        });
        return data ?? null;
      }));
      const byId = new Map(fresh.filter((d): d is NonNullable<typeof d> => d !== null).map((d) => [d.id, d]));
      setItems((previous) => previous?.map((d) => {
        const now = byId.get(d.id);
        if (!now) return d;
        const { download: _link, ...metadata } = now; // the link expires: asked again on "Télécharger"
        return metadata;
      }) ?? null);
      setRound((r) => r + 1);
    }, delay);
    return () => window.clearTimeout(timer);
  }, [pending, round, espaceId]);

  /** A new upload: shown first, and the polling starts again from its quickest pace. */
  const added = (doc: Doc) => {
    polls.current = 0;
    setItems((previous) => [doc, ...(previous ?? []).filter((d) => d.id !== doc.id)]);
  };
  const replaced = (doc: Doc) => setItems((previous) => previous?.map((d) => (d.id === doc.id ? doc : d)) ?? null);
  const removed = (id: string) => setItems((previous) => previous?.filter((d) => d.id !== id) ?? null);

  return { items, cursor, failed, more: () => load(cursor), added, replaced, removed };
}

// The services' lists are pages, {items, next} (docs/api-conventions.md): `next` is the URL of the
// following page (same filters, the next cursor), null on the last one.
export interface Page<Item> {
  items: Item[];
  next: string | null;
}

// Every item of a list: `page(cursor)` asks for one page (no cursor: the first), and the cursor
// of each `next` is followed until it is null.
export async function everyItem<Item>(page: (cursor?: string) => Promise<Page<Item>>): Promise<Item[]> {
  const items: Item[] = [];
  let cursor: string | undefined;
  for (;;) {
    const answer = await page(cursor);
    items.push(...answer.items);
    const next = answer.next ? new URL(answer.next, location.origin).searchParams.get("cursor") : null;
    if (!next) return items;
    cursor = next;
  }
}

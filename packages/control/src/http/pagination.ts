/** Cursor pagination of list routes: `?limit=&cursor=` in, `{ items, next_cursor }` out. */
import { z } from 'zod';
import { MAX_PAGE_SIZE } from '@prx-voice/storage';
import type { Page } from '@prx-voice/storage';

/** Default page size of list routes. */
export const DEFAULT_PAGE_SIZE = 50;

/** The query of a list route: `limit` 1–200 (default 50) and an opaque `cursor`. */
export const paginationQuerySchema = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_SIZE)
    .default(DEFAULT_PAGE_SIZE)
    .describe(`Page size, 1–${MAX_PAGE_SIZE}.`),
  cursor: z.string().min(1).max(600).optional().describe('The next_cursor of the previous page.'),
});

/** The validated pagination query. */
export type PaginationQuery = z.output<typeof paginationQuerySchema>;

/** The `data` of a list response. */
export interface PageData<T> {
  readonly items: T[];
  readonly next_cursor: string | null;
}

/** The response schema of a page of `item`. */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    next_cursor: z.string().nullable(),
  });
}

/** Maps a storage page to the API's list `data`. */
export function pageData<R, T>(page: Page<R>, view: (row: R) => T): PageData<T> {
  return { items: page.items.map(view), next_cursor: page.nextCursor };
}

/** The storage page options of a validated pagination query. */
export function pageOptions(q: PaginationQuery): { limit: number; cursor?: string } {
  return q.cursor === undefined ? { limit: q.limit } : { limit: q.limit, cursor: q.cursor };
}

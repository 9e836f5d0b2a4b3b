// One paging scheme for callers (`pageSize`, `nextPage`; answers carry
// `elements-next-page-token` and, where the vendor tells, `elements-total-count`)
// over whatever the vendor does: cursors in the body or a header, page
// numbers, record offsets, RFC 8288 Link headers, next-page URLs in the body.
// The element declares its scheme (`pagination`, per resource where they
// differ). A next-page URL the vendor hands out is followed only on the base
// URL's origin: the instance's credential never goes anywhere else.
import type { Pagination } from '../element-schema.js';
import { readPath } from './mapping.js';

export const DEFAULT_PAGE_SIZE = 200;
export const MAX_PAGE_SIZE = 500;

export type PageState = { kind: 'first' } | { kind: 'cursor'; cursor: string } | { kind: 'page'; page: number } | { kind: 'offset'; offset: number } | { kind: 'url'; url: string };

export interface VendorPage {
  body: unknown;
  headers: Record<string, string | string[]>;
}

export interface PageRequest {
  /** Query parameters to add to the list call. */
  params: Record<string, string>;
  headers: Record<string, string>;
  /** A full URL to call instead (next-link and Link header schemes after the first page). */
  url?: string;
}

const header = (page: VendorPage, name: string): string | undefined => {
  const value = page.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
};

/** The vendor page size to ask for: the caller's, within the vendor's maximum. */
export function vendorPageSize(pagination: Pagination, wanted: number): number {
  return Math.max(pagination.minPageSize ?? 1, Math.min(wanted, pagination.maxPageSize ?? wanted));
}

export function pageRequest(pagination: Pagination, state: PageState, size: number): PageRequest {
  const params: Record<string, string> = { ...pagination.fixedParams };
  const headers: Record<string, string> = {};
  if (state.kind === 'url') return { params: {}, headers: sizeHeader(pagination, size), url: state.url };
  if (pagination.pageSizeParam) params[pagination.pageSizeParam] = String(size);
  Object.assign(headers, sizeHeader(pagination, size));
  if (state.kind === 'cursor' && pagination.cursorParam) params[pagination.cursorParam] = state.cursor;
  if (pagination.style === 'page' && pagination.pageParam) params[pagination.pageParam] = String(state.kind === 'page' ? state.page : (pagination.firstPage ?? 1));
  if (pagination.style === 'offset' && pagination.offsetParam) params[pagination.offsetParam] = String(state.kind === 'offset' ? state.offset : 0);
  return { params, headers };
}

function sizeHeader(pagination: Pagination, size: number): Record<string, string> {
  return pagination.pageSizeHeader ? { [pagination.pageSizeHeader.name.toLowerCase()]: pagination.pageSizeHeader.value.replace('{size}', String(size)) } : {};
}

/** The records of a vendor page. */
export function pageRecords(pagination: Pagination, body: unknown): unknown[] | undefined {
  const value = pagination.recordsPath ? readPath(body, pagination.recordsPath) : body;
  return Array.isArray(value) ? value : undefined;
}

export function pageTotal(pagination: Pagination, page: VendorPage): number | undefined {
  const value = pagination.totalPath ? readPath(page.body, pagination.totalPath) : pagination.totalHeader ? header(page, pagination.totalHeader) : undefined;
  const total = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : undefined;
  return total !== undefined && Number.isSafeInteger(total) ? total : undefined;
}

/** `Link: <https://..>; rel="next", <..>; rel="last"` -> the next URL (RFC 8288). Linear: no nested quantifiers. */
export function linkNext(value: string | undefined): string | undefined {
  if (!value) return undefined;
  for (const match of value.matchAll(/<([^>]*)>([^,<]*)/g)) {
    const rel = /;\s*rel\s*=\s*"?([^";]*)"?/i.exec(match[2] ?? '')?.[1];
    if (rel?.toLowerCase().split(/\s+/).includes('next')) return match[1];
  }
  return undefined;
}

/** A vendor's next-page URL, resolved against the base URL and kept only on its origin. */
export function sameOriginUrl(candidate: string, base: string): string | undefined {
  try {
    const url = new URL(candidate, base);
    return url.origin === new URL(base).origin && !url.username && !url.password ? url.toString() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where the next vendor page is, or undefined on the last one. `count` is the
 * number of records on this page and `size` the page size asked for.
 */
export function nextPageState(pagination: Pagination, state: PageState, page: VendorPage, count: number, size: number, base: string): PageState | undefined {
  const hasMore = pagination.hasMorePath ? readPath(page.body, pagination.hasMorePath) : undefined;
  if (hasMore === false || count === 0) return undefined;
  if (pagination.isLastPath && readPath(page.body, pagination.isLastPath) === true) return undefined;
  switch (pagination.style) {
    case 'cursor': {
      const value = pagination.cursorHeader ? header(page, pagination.cursorHeader) : pagination.cursorPath ? readPath(page.body, pagination.cursorPath) : undefined;
      const cursor = typeof value === 'number' ? String(value) : value;
      return typeof cursor === 'string' && cursor !== '' && cursor.length <= 4096 ? { kind: 'cursor', cursor } : undefined;
    }
    case 'page': {
      const total = pageTotal(pagination, page);
      const current = state.kind === 'page' ? state.page : (pagination.firstPage ?? 1);
      const consumed = (current - (pagination.firstPage ?? 1) + 1) * size;
      const more = hasMore === true || (total !== undefined ? consumed < total : count >= size);
      if (pagination.nextPath) return readPath(page.body, pagination.nextPath) ? { kind: 'page', page: current + 1 } : undefined;
      return more ? { kind: 'page', page: current + 1 } : undefined;
    }
    case 'offset': {
      const offset = (state.kind === 'offset' ? state.offset : 0) + count;
      const total = pageTotal(pagination, page);
      const more = hasMore === true || (total !== undefined ? offset < total : count >= size);
      return more ? { kind: 'offset', offset } : undefined;
    }
    case 'link-header':
    case 'next-link': {
      const raw = pagination.style === 'link-header' ? linkNext(header(page, 'link')) : readPath(page.body, pagination.nextPath ?? 'next');
      if (typeof raw !== 'string' || raw === '') return undefined;
      const url = sameOriginUrl(raw, base);
      return url ? { kind: 'url', url } : undefined;
    }
    default:
      return undefined;
  }
}

/** The element's paging with a resource's own settings over it. */
export function effectivePagination(element: Pagination | undefined, resource: Partial<Pagination> | undefined, rootKey: string | undefined): Pagination {
  const merged: Pagination = { style: 'none', headers: [], ...element, ...resource } as Pagination;
  if (rootKey && !resource?.recordsPath) merged.recordsPath = rootKey;
  return merged;
}

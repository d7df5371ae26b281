// Where the dashboard's links point. The only place that knows how a walkthrough is addressed,
// so the docs viewer can change the scheme here alone.

/** 'docs/session-flow.md#read-the-session' → the in-app route '#/docs/session-flow.md#read-the-session'. */
export function docHref(doc: string): string {
  return `#/${doc}`;
}

/** The walkthrough a location hash points to ('docs/…md#anchor'), or null when it is not a docs route. */
export function docFromHash(hash: string): string | null {
  return hash.startsWith('#/docs/') ? decodeURIComponent(hash.slice(2)) : null;
}

/** Where a flow's walkthrough begins. */
export const FLOW_DOCS = {
  session: 'docs/session-flow.md',
  jwt: 'docs/jwt-cookie-flow.md',
} as const;

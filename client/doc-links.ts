// How a link inside a walkthrough is followed in the app. The Markdown files link each other with
// relative paths (so GitHub renders them as they are); in the dashboard a link to another doc or a
// section becomes an in-app route, a link to a source file is shown as its path, and anything with
// a scheme opens outside. No DOM here, so the rules are unit-tested in Node (test/docs.test.ts).

export type DocLink =
  | { kind: 'doc'; target: string } // 'docs/session-flow.md#read-the-session'
  | { kind: 'source'; path: string } // 'server/session/store.ts': a file of the repository
  | { kind: 'external'; href: string };

/**
 * Resolves `href` as written in `fromFile` (e.g. 'docs/security.md'): 'jwt-cookie-flow.md#sign-the-token',
 * '#csrf', '../server/cookies.ts', 'https://…'.
 */
export function resolveDocLink(href: string, fromFile: string): DocLink {
  if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('//')) return { kind: 'external', href };
  const hash = href.indexOf('#');
  const pathPart = hash < 0 ? href : href.slice(0, hash);
  const anchor = hash < 0 ? '' : href.slice(hash);
  const path = pathPart === '' ? fromFile : joinPath(fromFile, pathPart);
  if (/^docs\/[^/]+\.md$/.test(path)) return { kind: 'doc', target: path + anchor };
  return { kind: 'source', path };
}

/** The directory of `fromFile` joined with a relative path, '..' and '.' resolved; never above the root. */
function joinPath(fromFile: string, relative: string): string {
  const parts = fromFile.split('/').slice(0, -1);
  for (const part of relative.split('/')) {
    if (part === '..') parts.pop();
    else if (part !== '.' && part !== '') parts.push(part);
  }
  return parts.join('/');
}

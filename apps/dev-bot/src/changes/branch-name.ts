/** A short, safe slug of a change's title for its branch name: lower-case words joined by "-". */
export function slugOf(text: string, maxLength = 40): string {
  const slug = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, maxLength)
    .replace(/-+$/g, '');
  return slug || 'change';
}

/** Every branch dev-bot pushes lives under this prefix; nothing else is ever pushed except by the merge step. */
export const BRANCH_PREFIX = 'juggernaut/';

export function branchFor(changeId: string, title: string): string {
  return `${BRANCH_PREFIX}${changeId}-${slugOf(title)}`;
}

/** A title from the goal when none was given: its first line, cut at a word boundary. */
export function titleFrom(goal: string, maxLength = 80): string {
  const line = goal.trim().split('\n')[0]!.trim();
  if (line.length <= maxLength) return line;
  const cut = line.slice(0, maxLength);
  const space = cut.lastIndexOf(' ');
  return `${(space > 20 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

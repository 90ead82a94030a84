/** The lines one file's part of a unified diff adds and removes, with their line numbers. */
export interface FilePatch {
  path: string;
  oldPath?: string;
  added: Array<{ line: number; text: string }>;
  removed: Array<{ line: number; text: string }>;
}

/** Splits a `git diff` patch into per-file added and removed lines. */
export function parsePatch(patch: string): FilePatch[] {
  const files: FilePatch[] = [];
  let cur: FilePatch | undefined;
  let oldLine = 0;
  let newLine = 0;
  let inHunk = false;
  for (const raw of patch.split('\n')) {
    const header = /^diff --git a\/(.+?) b\/(.+)$/.exec(raw);
    if (header) {
      cur = { path: header[2]!, oldPath: header[1]!, added: [], removed: [] };
      files.push(cur);
      inHunk = false;
      continue;
    }
    if (!cur) continue;
    if (!inHunk || raw.startsWith('--- ') || raw.startsWith('+++ ')) {
      const plus = /^\+\+\+ (?:b\/(.+)|\/dev\/null)$/.exec(raw);
      if (plus && plus[1]) cur.path = plus[1];
      const minus = /^--- (?:a\/(.+)|\/dev\/null)$/.exec(raw);
      if (minus) cur.oldPath = minus[1];
    }
    const hunk = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(raw);
    if (hunk) {
      oldLine = Number(hunk[1]);
      newLine = Number(hunk[2]);
      inHunk = true;
      continue;
    }
    if (!inHunk) continue;
    if (raw.startsWith('+')) cur.added.push({ line: newLine++, text: raw.slice(1) });
    else if (raw.startsWith('-')) cur.removed.push({ line: oldLine++, text: raw.slice(1) });
    else if (raw.startsWith(' ')) {
      oldLine++;
      newLine++;
    }
  }
  for (const f of files) if (f.oldPath === f.path) delete f.oldPath;
  return files;
}

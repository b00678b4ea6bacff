/**
 * The project's Markdown refers only to what is in the repository: every relative link resolves
 * to a file or folder in the tree, and no text points outside it (an absolute /work/… path or a
 * ../shared reference note).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { projectRoot } from '../../support/tools.ts';

function markdownFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.md'], {
    cwd: projectRoot,
    encoding: 'utf8',
  });
  return out.split('\n').filter((f) => f !== '' && existsSync(path.join(projectRoot, f)));
}

test('Markdown links resolve inside the repository and no text points outside it', () => {
  const files = markdownFiles();
  assert.ok(files.includes('docs/design.md'), 'the design doc is found');
  const problems: string[] = [];
  for (const file of files) {
    const text = readFileSync(path.join(projectRoot, file), 'utf8');
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = (m[1] ?? '').split('#')[0] ?? '';
      if (target === '' || /^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      const resolved = path.resolve(path.dirname(path.join(projectRoot, file)), target);
      if (!resolved.startsWith(`${projectRoot}${path.sep}`))
        problems.push(`${file}: ${target} is outside the repository`);
      else if (!existsSync(resolved)) problems.push(`${file}: ${target} does not exist`);
    }
    for (const m of text.matchAll(/\/work\/[\w./-]+|\.\.\/shared\b[\w./-]*/g)) {
      problems.push(`${file}: ${m[0]} is outside the repository`);
    }
  }
  assert.deepEqual(problems, []);
});

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The alert rules of infra/prometheus/rules against their promtool unit tests, and every alert's
// runbook entry (docs/observability.md). promtool comes with Debian's prometheus package, which
// infra/takt installs; without it this file fails rather than skips.
const root = fileURLToPath(new URL('../../..', import.meta.url));
const rulesDir = join(root, 'infra/prometheus/rules');
const testsDir = join(root, 'infra/prometheus/tests');
const ruleFiles = readdirSync(rulesDir).filter((f) => f.endsWith('.yml'));
const testFiles = readdirSync(testsDir).filter((f) => f.endsWith('.test.yml'));

function promtool(args: string[], cwd: string): string {
  try {
    return execFileSync('promtool', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? e.message}`);
  }
}

/** Alert name → runbook_url, read from the rule files (one `- alert:` per rule). */
function alerts(): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  for (const f of ruleFiles) {
    const blocks = readFileSync(join(rulesDir, f), 'utf8').split(/^\s*- (?=alert:|record:)/m);
    for (const block of blocks) {
      const name = /^alert:\s*(\S+)/.exec(block)?.[1];
      if (name) out.set(name, /runbook_url:\s*(\S+)/.exec(block)?.[1]);
    }
  }
  return out;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  for (const m of markdown.matchAll(/^#{1,6}\s+(.+)$/gm)) {
    const text = m[1] ?? '';
    out.add(
      text
        .trim()
        .toLowerCase()
        .replace(/[^\w\- ]/g, '')
        .replace(/ /g, '-'),
    );
  }
  return out;
}

describe('alert rules', () => {
  it('are valid rule files', () => {
    expect(ruleFiles.length).toBeGreaterThan(0);
    promtool(['check', 'rules', ...ruleFiles], rulesDir);
  });

  it.each(testFiles)('pass their promtool unit tests: %s', (file) => {
    expect(promtool(['test', 'rules', file], testsDir)).toMatch(/SUCCESS/);
  });

  it('each alert is exercised by a promtool test', () => {
    const tested = testFiles.map((f) => readFileSync(join(testsDir, f), 'utf8')).join('\n');
    const untested = [...alerts().keys()].filter((a) => !tested.includes(`alertname: ${a}\n`));
    expect(untested).toEqual([]);
  });

  it('each alert links to its entry in docs/runbook.md', () => {
    const entries = anchors(readFileSync(join(root, 'docs/runbook.md'), 'utf8'));
    const broken = [...alerts()].filter(([, url]) => {
      const m = /^docs\/runbook\.md#(.+)$/.exec(url ?? '');
      return !m?.[1] || !entries.has(m[1]);
    });
    expect(broken).toEqual([]);
  });
});

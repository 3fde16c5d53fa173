import { z } from 'zod';
import type { SignedCheckpoint } from './checkpoint.js';
import { AuditError } from './errors.js';
import type { AuditEvent } from './event.js';
import { type RangeVerdict, verifyRange } from './verify.js';

/**
 * The export an auditor verifies offline, as JSON lines: first a header
 * `{"format":"takt-audit-export/1","tenantId","fromPosition","toPosition","prevHash"}`, then one
 * `{"event":AuditEvent}` per position and `{"checkpoint":SignedCheckpoint}` lines for the
 * checkpoints inside the range. Only the public key is needed to check it.
 */
export const EXPORT_FORMAT = 'takt-audit-export/1';

const header = z.object({
  format: z.literal(EXPORT_FORMAT),
  tenantId: z.string(),
  fromPosition: z.number().int().min(1),
  toPosition: z.number().int().min(0),
  prevHash: z.string().regex(/^[0-9a-f]{64}$/),
});

export function exportLines(
  h: Omit<z.infer<typeof header>, 'format'>,
  events: Iterable<AuditEvent>,
  checkpoints: Iterable<SignedCheckpoint>,
): string[] {
  return [
    JSON.stringify({ format: EXPORT_FORMAT, ...h }),
    ...[...events].map((event) => JSON.stringify({ event })),
    ...[...checkpoints].map((checkpoint) => JSON.stringify({ checkpoint })),
  ];
}

export async function verifyExport(
  text: string,
  publicKeyPem: string,
): Promise<RangeVerdict & { tenantId: string }> {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  let h: z.infer<typeof header>;
  try {
    h = header.parse(JSON.parse(lines[0] ?? ''));
  } catch {
    throw new AuditError('TAKT_AUDIT_EXPORT_INVALID', `the first line is not a ${EXPORT_FORMAT} header`);
  }
  const events: AuditEvent[] = [];
  const checkpoints: SignedCheckpoint[] = [];
  for (const [i, line] of lines.slice(1).entries()) {
    let parsed: { event?: AuditEvent; checkpoint?: SignedCheckpoint };
    try {
      parsed = JSON.parse(line) as typeof parsed;
    } catch {
      throw new AuditError('TAKT_AUDIT_EXPORT_INVALID', `line ${i + 2} is not JSON`);
    }
    if (parsed.event) events.push({ ...parsed.event, tenantId: h.tenantId });
    else if (parsed.checkpoint) checkpoints.push(parsed.checkpoint);
  }
  events.sort((a, b) => a.position - b.position);
  const verdict = await verifyRange({
    fromPosition: h.fromPosition,
    toPosition: h.toPosition,
    prevHash: h.prevHash,
    pages: [events],
    checkpoints: checkpoints.filter((c) => c.tenantId === h.tenantId),
    publicKeyPem,
  });
  return { ...verdict, tenantId: h.tenantId };
}

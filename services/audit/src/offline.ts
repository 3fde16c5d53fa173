import { z } from 'zod';
import type { SignedCheckpoint, TrustedKeys } from './checkpoint.js';
import { AuditError } from './errors.js';
import type { AuditEvent } from './event.js';
import { type RangeVerdict, verifyEvents } from './verify.js';

/**
 * The export an auditor verifies offline, as JSON lines: first a header
 * `{"format":"takt-audit-export/1","tenantId","fromPosition","toPosition","prevHash"}`, then one
 * `{"event":AuditEvent}` per position and `{"checkpoint":SignedCheckpoint}` lines for the
 * checkpoints inside the range. Only the trusted public keys are needed to check it.
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

/**
 * Verifies an export against the auditor's trusted keys. The export is read strictly: events
 * must come in position order with none missing, extra or repeated; every checkpoint must lie
 * inside the declared range. The `publicKey` stored with a checkpoint only names which trusted
 * key to try (docs/audit-verification.md).
 */
export function verifyExport(text: string, trusted: TrustedKeys): RangeVerdict & { tenantId: string } {
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
    if (parsed.event) events.push(parsed.event);
    else if (parsed.checkpoint) checkpoints.push(parsed.checkpoint);
    else
      throw new AuditError('TAKT_AUDIT_EXPORT_INVALID', `line ${i + 2} is neither an event nor a checkpoint`);
  }
  const verdict = verifyEvents({ ...h, checkpoints, trusted }, events);
  return { ...verdict, tenantId: h.tenantId };
}

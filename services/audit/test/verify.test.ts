import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GENESIS_HASH } from '../src/canonical.js';
import { type SignedCheckpoint, type Signer, signerFromPem, TrustedKeys } from '../src/checkpoint.js';
import { type AuditEvent, hashEvent, type PendingEvent } from '../src/event.js';
import { exportLines, verifyExport } from '../src/offline.js';
import { type RangeInput, verifyEvents } from '../src/verify.js';

const newSigner = () =>
  signerFromPem(
    generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  );
const tenantId = '11111111-2222-4333-8444-555555555555';
const otherTenant = '99999999-2222-4333-8444-555555555555';
const A = newSigner();
const B = newSigner();
const C = newSigner();
const trust = (...signers: Signer[]) => TrustedKeys.fromPem(...signers.map((s) => s.publicKeyPem));

function pending(i: number): PendingEvent {
  return {
    tenantId,
    entityType: 'equipment',
    entityId: `press-${i % 3}`,
    op: i <= 3 ? 'create' : 'update',
    before: i <= 3 ? null : { name: `n${i - 1}` },
    after: {
      name: `n${i}`,
      attributes: { rated: 60.5, tags: ['a'] },
      updated_at: '2026-03-01T05:00:00.123Z',
    },
    lsn: String(10n ** 19n + BigInt(i)),
    txId: 1000 + i,
    committedAt: '2026-03-01T05:00:00.123Z',
    changedBy: tenantId,
    requestId: `req-${i}`,
  };
}

/** Re-links and re-hashes events from `from` on: what someone rewriting history would do. */
function rehash(events: AuditEvent[], from = 0): AuditEvent[] {
  const out = events.slice(0, from);
  let prevHash = from === 0 ? GENESIS_HASH : out[from - 1]!.hash;
  for (const [i, e] of events.slice(from).entries()) {
    const unhashed = { ...e, position: from + i + 1, prevHash };
    const hash = hashEvent(unhashed);
    out.push({ ...unhashed, hash });
    prevHash = hash;
  }
  return out;
}

const chain = (n: number): AuditEvent[] =>
  rehash(
    Array.from({ length: n }, (_, k) => ({
      ...pending(k + 1),
      position: 0,
      version: Math.ceil((k + 1) / 3),
      prevHash: '',
      hash: '',
    })),
  );

/** Checkpoints at `positions`, each naming the one before it, signed by `signerAt(position)`. */
function checkpoints(events: AuditEvent[], positions: number[], signerAt: (p: number) => Signer = () => A) {
  let prev = 0;
  return [...positions]
    .sort((a, b) => a - b)
    .map((position) => {
      const c = signerAt(position).sign({
        tenantId,
        position,
        hash: events[position - 1]!.hash,
        signedAt: '2026-03-01T05:00:00.000Z',
        prevPosition: prev,
      });
      prev = position;
      return c;
    });
}

const input = (
  events: AuditEvent[],
  cps: SignedCheckpoint[],
  over: Partial<RangeInput> = {},
): RangeInput => ({
  tenantId,
  fromPosition: 1,
  toPosition: events.length,
  prevHash: GENESIS_HASH,
  checkpoints: cps,
  trusted: trust(A),
  ...over,
});

const events20 = chain(20);
const cps20 = checkpoints(events20, [5, 10, 20]);

describe('verification of a range', () => {
  it('verifies an untouched chain whose last position is signed', () => {
    expect(verifyEvents(input(events20, cps20), events20)).toMatchObject({
      ok: true,
      status: 'verified',
      checked: 20,
      checkpoints: 3,
      verifiedThrough: 20,
      checkpoint: { position: 20, keyId: trust(A).keyIds[0] },
    });
  });

  it('reports the positions after the last checkpoint as unverified, never as ok', () => {
    const v = verifyEvents(input(events20, cps20.slice(0, 2)), events20);
    expect(v).toMatchObject({
      ok: false,
      status: 'unverified',
      checked: 20,
      verifiedThrough: 10,
      unverified: { fromPosition: 11, toPosition: 20, count: 10 },
    });
    expect(v.failure).toBeUndefined();
  });

  it('does not pass a rewritten chain whose checkpoints were deleted', () => {
    const forged = rehash(
      events20.map((e) => (e.position === 3 ? { ...e, after: { name: 'forged' } } : e)),
      2,
    );
    expect(verifyEvents(input(forged, []), forged)).toMatchObject({
      ok: false,
      status: 'unverified',
      verifiedThrough: 0,
      unverified: { fromPosition: 1, toPosition: 20, count: 20 },
    });
    // With the checkpoints left in place, the first one after the rewrite no longer matches.
    expect(verifyEvents(input(forged, cps20), forged)).toMatchObject({
      ok: false,
      status: 'failed',
      firstBadPosition: 5,
      failure: { reason: 'checkpoint_hash' },
    });
  });

  it('names the first altered, missing or extra position and the reason', () => {
    const at = (p: number, f: (e: AuditEvent) => AuditEvent) =>
      events20.map((e) => (e.position === p ? f(e) : e));
    const cases: [AuditEvent[], number, string][] = [
      [at(7, (e) => ({ ...e, after: { name: 'forged' } })), 7, 'hash'],
      [at(7, (e) => ({ ...e, prevHash: 'f'.repeat(64) })), 7, 'link'],
      [events20.filter((e) => e.position !== 12), 12, 'position'],
      [events20.slice(0, 15), 16, 'position'],
      [[...events20.slice(0, 8), events20[8]!, ...events20.slice(8)], 10, 'position'],
      [at(4, (e) => ({ ...e, tenantId: otherTenant })), 4, 'hash'],
    ];
    for (const [events, position, reason] of cases)
      expect(verifyEvents(input(events20, cps20), events)).toMatchObject({
        ok: false,
        status: 'failed',
        firstBadPosition: position,
        failure: { position, reason },
      });
    // The last good checkpoint before the damage still vouches for what precedes it.
    expect(verifyEvents(input(events20, cps20), cases[0]![0])).toMatchObject({
      verifiedThrough: 5,
      checkpoint: { position: 5 },
    });
  });

  it('fails a removed checkpoint through the link its successor signs', () => {
    expect(verifyEvents(input(events20, [cps20[0]!, cps20[2]!]), events20)).toMatchObject({
      ok: false,
      failure: { position: 20, reason: 'checkpoint_link' },
      verifiedThrough: 5,
    });
    expect(verifyEvents(input(events20, cps20.slice(1)), events20)).toMatchObject({
      failure: { position: 10, reason: 'checkpoint_link' },
    });
  });

  it('fails checkpoints that are forged, altered, of another tenant or outside the range', () => {
    const [c5, c10, c20] = cps20 as [SignedCheckpoint, SignedCheckpoint, SignedCheckpoint];
    const mallory = C.sign({ ...c10 });
    const cases: [SignedCheckpoint[], number, string][] = [
      [[c5, mallory, c20], 10, 'checkpoint_untrusted'],
      [[c5, { ...c10, signedAt: '2026-03-01T05:00:00.001Z' }, c20], 10, 'checkpoint_signature'],
      [[c5, { ...c10, tenantId: otherTenant }, c20], 10, 'checkpoint_signature'],
      [[c5, A.sign({ ...c10, hash: events20[8]!.hash }), c20], 10, 'checkpoint_hash'],
      [[c5, { ...c10, publicKey: 'not a key' }, c20], 10, 'checkpoint_untrusted'],
      [[...cps20, A.sign({ ...c20, position: 21, prevPosition: 20 })], 21, 'checkpoint_outside_range'],
    ];
    for (const [cps, position, reason] of cases)
      expect(verifyEvents(input(events20, cps), events20)).toMatchObject({
        ok: false,
        status: 'failed',
        failure: { position, reason },
      });
  });

  it('verifies a range that starts mid-chain from the hash before it', () => {
    const v = verifyEvents(
      input(events20, cps20.slice(1), { fromPosition: 6, prevHash: events20[4]!.hash }),
      events20.slice(5),
    );
    expect(v).toMatchObject({ ok: true, checked: 15, checkpoints: 2, verifiedThrough: 20 });
    const missingPrev = verifyEvents(
      input(events20, [], { fromPosition: 6, prevHash: null }),
      events20.slice(5),
    );
    expect(missingPrev).toMatchObject({ ok: false, failure: { position: 5, reason: 'position' } });
  });

  it('treats an empty range as verified and older checkpoints without a link as unlinked', () => {
    expect(verifyEvents(input([], []), [])).toMatchObject({ ok: true, checked: 0, verifiedThrough: 0 });
    const legacy = [5, 20].map((position) =>
      A.sign({
        tenantId,
        position,
        hash: events20[position - 1]!.hash,
        signedAt: '2026-03-01T05:00:00.000Z',
      }),
    );
    expect(verifyEvents(input(events20, legacy), events20)).toMatchObject({ ok: true, checkpoints: 2 });
  });
});

describe('key rotation', () => {
  // Positions 5 and 10 signed by the old key A, 20 by the new key B.
  const rotated = checkpoints(events20, [5, 10, 20], (p) => (p <= 10 ? A : B));

  it('verifies old checkpoints with the old key and new ones with the new key', () => {
    expect(verifyEvents(input(events20, rotated, { trusted: trust(A, B) }), events20)).toMatchObject({
      ok: true,
      checkpoint: { position: 20, keyId: trust(B).keyIds[0] },
    });
  });

  it('fails a checkpoint whose key was removed from the trusted list', () => {
    expect(verifyEvents(input(events20, rotated, { trusted: trust(B) }), events20)).toMatchObject({
      ok: false,
      failure: { position: 5, reason: 'checkpoint_untrusted' },
    });
    expect(verifyEvents(input(events20, rotated, { trusted: trust(A) }), events20)).toMatchObject({
      ok: false,
      failure: { position: 20, reason: 'checkpoint_untrusted' },
    });
  });

  it('never takes a key from the data: the stored key only selects among trusted ones', () => {
    const relabelled = rotated.map((c) => (c.position === 20 ? { ...c, publicKey: A.publicKeyPem } : c));
    expect(verifyEvents(input(events20, relabelled, { trusted: trust(A, B) }), events20)).toMatchObject({
      failure: { position: 20, reason: 'checkpoint_signature' },
    });
  });

  it('reads several keys from one PEM bundle and rejects keys that are not Ed25519 public keys', () => {
    expect(TrustedKeys.fromPem(`${A.publicKeyPem}\n${B.publicKeyPem}`, A.publicKeyPem).size).toBe(2);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({
      type: 'spki',
      format: 'pem',
    });
    expect(() => TrustedKeys.fromPem(String(rsa))).toThrow(/Ed25519/);
  });
});

describe('offline export', () => {
  const head = { tenantId, fromPosition: 1, toPosition: 20, prevHash: GENESIS_HASH };
  const text = (events: AuditEvent[], cps: SignedCheckpoint[]) => exportLines(head, events, cps).join('\n');

  it('verifies an intact export with the trusted keys given, and nothing else', () => {
    expect(verifyExport(text(events20, cps20), trust(A))).toMatchObject({ ok: true, tenantId });
    expect(verifyExport(text(events20, cps20), trust(B))).toMatchObject({
      ok: false,
      failure: { position: 5, reason: 'checkpoint_untrusted' },
    });
  });

  it('is strict about order: reordered lines are a failure, not sorted back', () => {
    const swapped = [...events20];
    [swapped[3], swapped[4]] = [swapped[4]!, swapped[3]!];
    expect(verifyExport(text(swapped, cps20), trust(A))).toMatchObject({
      ok: false,
      failure: { position: 4, reason: 'position' },
    });
  });
});

// Property tests: every kind of tampering makes ok false; untouched chains verify.
type Tamper =
  | { kind: 'field'; index: number; field: keyof AuditEvent }
  | { kind: 'delete'; index: number }
  | { kind: 'insert'; index: number; copyOf: number }
  | { kind: 'swap'; index: number; with: number }
  | { kind: 'truncate'; keep: number }
  | { kind: 'rewrite'; index: number; keepCheckpoints: boolean }
  | { kind: 'dropCheckpoint'; index: number }
  | { kind: 'checkpointField'; index: number; field: 'position' | 'hash' | 'signedAt' | 'signature' };

const FIELDS: (keyof AuditEvent)[] = [
  'tenantId',
  'position',
  'entityType',
  'entityId',
  'version',
  'op',
  'before',
  'after',
  'lsn',
  'txId',
  'committedAt',
  'changedBy',
  'requestId',
  'prevHash',
  'hash',
];

const altered = (v: unknown): unknown => {
  if (typeof v === 'number') return v + 1;
  if (typeof v === 'string')
    return /^[0-9a-f]{64}$/.test(v) ? `${v[0] === 'a' ? 'b' : 'a'}${v.slice(1)}` : `${v}x`;
  return v === null ? { tampered: true } : null;
};

function apply(t: Tamper, events: AuditEvent[], cps: SignedCheckpoint[]): [AuditEvent[], SignedCheckpoint[]] {
  const e = [...events];
  const n = e.length;
  switch (t.kind) {
    case 'field': {
      const i = t.index % n;
      e[i] = { ...e[i]!, [t.field]: altered(e[i]![t.field]) };
      return [e, cps];
    }
    case 'delete':
      e.splice(t.index % n, 1);
      return [e, cps];
    case 'insert':
      e.splice(t.index % (n + 1), 0, e[t.copyOf % n]!);
      return [e, cps];
    case 'swap': {
      const i = t.index % n;
      const j = (i + 1 + (t.with % (n - 1))) % n;
      [e[i], e[j]] = [e[j]!, e[i]!];
      return [e, cps];
    }
    case 'truncate':
      return [e.slice(0, t.keep % n), cps];
    case 'rewrite': {
      const i = t.index % n;
      e[i] = { ...e[i]!, after: { name: 'rewritten' } };
      // The attacker re-hashes from the change on and deletes the checkpoints that would notice.
      const rewritten = rehash(e, i);
      return [rewritten, t.keepCheckpoints ? cps : cps.filter((c) => c.position <= i)];
    }
    case 'dropCheckpoint':
      return [e, cps.filter((_, k) => k !== t.index % cps.length)];
    case 'checkpointField': {
      const k = t.index % cps.length;
      const c = [...cps];
      const v = c[k]![t.field];
      // Base64 decoders skip trailing junk, so the signature is changed in its first character.
      const to =
        t.field === 'signedAt'
          ? '2030-01-01T00:00:00.000Z'
          : t.field === 'signature'
            ? `${String(v)[0] === 'A' ? 'B' : 'A'}${String(v).slice(1)}`
            : altered(v);
      c[k] = { ...c[k]!, [t.field]: to };
      return [e, c];
    }
  }
}

const nat = fc.nat({ max: 1_000 });
const tamper: fc.Arbitrary<Tamper> = fc.oneof(
  fc.record({ kind: fc.constant('field' as const), index: nat, field: fc.constantFrom(...FIELDS) }),
  fc.record({ kind: fc.constant('delete' as const), index: nat }),
  fc.record({ kind: fc.constant('insert' as const), index: nat, copyOf: nat }),
  fc.record({ kind: fc.constant('swap' as const), index: nat, with: nat }),
  fc.record({ kind: fc.constant('truncate' as const), keep: nat }),
  fc.record({ kind: fc.constant('rewrite' as const), index: nat, keepCheckpoints: fc.boolean() }),
  fc.record({ kind: fc.constant('dropCheckpoint' as const), index: nat }),
  fc.record({
    kind: fc.constant('checkpointField' as const),
    index: nat,
    field: fc.constantFrom('position' as const, 'hash' as const, 'signedAt' as const, 'signature' as const),
  }),
);

/** A chain of 2..30 events with checkpoints at a random set of positions that includes the last. */
const signedChain = fc
  .integer({ min: 2, max: 30 })
  .chain((n) =>
    fc
      .uniqueArray(fc.integer({ min: 1, max: n - 1 }), { maxLength: 5 })
      .map((positions) => ({ n, positions: [...positions, n] })),
  );

const chains = new Map<number, AuditEvent[]>();
const chainOf = (n: number) => chains.get(n) ?? chains.set(n, chain(n)).get(n)!;

// Signing dominates these; on a busy machine they need more than the default 5 s each.
describe('verification properties', () => {
  it('verifies every untouched, fully signed chain', () => {
    fc.assert(
      fc.property(signedChain, ({ n, positions }) => {
        const events = chainOf(n);
        const v = verifyEvents(input(events, checkpoints(events, positions)), events);
        expect(v).toMatchObject({ ok: true, status: 'verified', checked: n, verifiedThrough: n });
      }),
      { numRuns: 60 },
    );
  }, 60_000);

  it('reports the tail after the last checkpoint as unverified', () => {
    fc.assert(
      fc.property(signedChain, fc.integer({ min: 1, max: 10 }), ({ n, positions }, extra) => {
        const events = chainOf(n + extra);
        const v = verifyEvents(input(events, checkpoints(events, positions)), events);
        expect(v).toMatchObject({
          ok: false,
          status: 'unverified',
          verifiedThrough: n,
          unverified: { fromPosition: n + 1, toPosition: n + extra, count: extra },
        });
      }),
      { numRuns: 60 },
    );
  }, 60_000);

  it('detects any single alteration, deletion, insertion, reordering, truncation or checkpoint removal', () => {
    fc.assert(
      fc.property(signedChain, tamper, ({ n, positions }, t) => {
        const events = chainOf(n);
        const [tampered, cps] = apply(t, events, checkpoints(events, positions));
        const v = verifyEvents(input(events, cps), tampered);
        expect(v.ok).toBe(false);
        // Damage to the events themselves is a failure, not merely an unsigned tail.
        if (['field', 'delete', 'insert', 'swap', 'truncate', 'checkpointField'].includes(t.kind))
          expect(v.status).toBe('failed');
      }),
      { numRuns: 400 },
    );
  }, 60_000);
});

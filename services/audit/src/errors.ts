/** Failures of the audit service that are not HTTP answers; `code` is stable for logs and alerts. */
export class AuditError extends Error {
  constructor(
    readonly code:
      | 'TAKT_AUDIT_MIGRATION'
      | 'TAKT_AUDIT_APPEND'
      | 'TAKT_AUDIT_EXPORT_INVALID'
      | 'TAKT_AUDIT_USAGE',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AuditError';
  }
}

-- The audit trail is append-only: the store never updates or deletes an event, and these
-- triggers make sure nothing else going through SQLite does either. Tampering then needs
-- the triggers dropped first, and the hash chain (`gatehouse audit verify`) shows it.
CREATE TRIGGER `audit_events_no_update` BEFORE UPDATE ON `audit_events`
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
--> statement-breakpoint
CREATE TRIGGER `audit_events_no_delete` BEFORE DELETE ON `audit_events`
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;

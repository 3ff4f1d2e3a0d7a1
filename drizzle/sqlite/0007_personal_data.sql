ALTER TABLE `audit_events` ADD `device_name` text;--> statement-breakpoint
ALTER TABLE `sessions` ADD `ua_family_hash` text;--> statement-breakpoint
ALTER TABLE `sessions` ADD `network_hash` text;--> statement-breakpoint
-- Hand-written (personal data at rest): the audit trail stays append-only, except that the
-- personal fields may change: retention replaces them with the digests the chain hash covers
-- (see packages/store/src/audit-chain.ts), so the chain still verifies afterwards.
DROP TRIGGER `audit_events_no_update`;
--> statement-breakpoint
CREATE TRIGGER `audit_events_only_personal_fields` BEFORE UPDATE ON `audit_events`
WHEN NEW.seq IS NOT OLD.seq OR NEW.type IS NOT OLD.type OR NEW.at IS NOT OLD.at
  OR NEW.user_id IS NOT OLD.user_id OR NEW.session_id IS NOT OLD.session_id
  OR NEW.details IS NOT OLD.details OR NEW.prev_hash IS NOT OLD.prev_hash OR NEW.hash IS NOT OLD.hash
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only (only personal fields may be erased)'); END;

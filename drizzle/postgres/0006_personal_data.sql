ALTER TABLE "audit_events" ADD COLUMN "device_name" text;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "ua_family_hash" text;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "network_hash" text;--> statement-breakpoint
-- Hand-written (personal data at rest): the audit trail stays append-only, except that the
-- personal fields may change: retention replaces them with the digests the chain hash covers
-- (see packages/store/src/audit-chain.ts), so the chain still verifies afterwards.
CREATE OR REPLACE FUNCTION "audit_events_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE'
     AND (NEW.seq, NEW.type, NEW.at, NEW.user_id, NEW.session_id, NEW.details, NEW.prev_hash, NEW.hash)
         IS NOT DISTINCT FROM (OLD.seq, OLD.type, OLD.at, OLD.user_id, OLD.session_id, OLD.details, OLD.prev_hash, OLD.hash) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP;
END;
$$;

CREATE TABLE "revocation_feed" (
	"seq" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "revocation_feed_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"session_id" text NOT NULL,
	"ended_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE INDEX "revocation_feed_ended_idx" ON "revocation_feed" USING btree ("ended_at");--> statement-breakpoint
-- Hand-written (keep at the end when renumbering): every session that ends, whatever the reason
-- and whoever ends it, enters the revocation feed in the same transaction. The advisory lock
-- (class 'gate', id 4: packages/store-postgres/src/locks.ts) is taken before the identity value
-- is drawn and held to commit, so rows become visible in `seq` order and a reader's cursor never
-- skips one committed late.
CREATE FUNCTION "sessions_revocation_feed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(1734440037, 4);
  INSERT INTO "revocation_feed" ("session_id", "ended_at")
  VALUES (NEW."id", LEAST(NEW."revoked_at", NEW."idle_expires_at", NEW."absolute_expires_at"));
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "sessions_revocation_feed" AFTER UPDATE OF "revoked_at" ON "sessions"
FOR EACH ROW WHEN (OLD."revoked_at" IS NULL AND NEW."revoked_at" IS NOT NULL)
EXECUTE FUNCTION "sessions_revocation_feed"();

CREATE TABLE `revocation_feed` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`session_id` text NOT NULL,
	`ended_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `revocation_feed_ended_idx` ON `revocation_feed` (`ended_at`);--> statement-breakpoint
-- Hand-written (keep at the end when renumbering): every session that ends, whatever the reason
-- and whoever ends it (a gateway, the CLI, a future code path), enters the revocation feed in
-- the same statement. `ended_at`: no token was minted for it after this moment (its revocation,
-- or its expiry when that came first).
CREATE TRIGGER `sessions_revocation_feed` AFTER UPDATE OF `revoked_at` ON `sessions`
WHEN OLD.`revoked_at` IS NULL AND NEW.`revoked_at` IS NOT NULL
BEGIN
  INSERT INTO `revocation_feed` (`session_id`, `ended_at`)
  VALUES (NEW.`id`, min(NEW.`revoked_at`, NEW.`idle_expires_at`, NEW.`absolute_expires_at`));
END;

PRAGMA foreign_keys=OFF;--> statement-breakpoint
-- Edited by hand: WITHOUT ROWID (drizzle cannot declare it). The rows are stored in primary-key
-- order, so a session's refresh tokens share a b-tree page and a renewal writes that one page;
-- the token-hash key and its index, which scattered each renewal over five or six pages, go.
CREATE TABLE `__new_refresh_tokens` (
	`token_hash` text NOT NULL,
	`session_id` text NOT NULL,
	`generation` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`consumed_at` integer,
	`replaced_by` text,
	PRIMARY KEY(`session_id`, `generation`),
	FOREIGN KEY (`session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE cascade
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `__new_refresh_tokens`("token_hash", "session_id", "generation", "created_at", "consumed_at", "replaced_by") SELECT "token_hash", "session_id", "generation", "created_at", "consumed_at", "replaced_by" FROM `refresh_tokens`;--> statement-breakpoint
DROP TABLE `refresh_tokens`;--> statement-breakpoint
ALTER TABLE `__new_refresh_tokens` RENAME TO `refresh_tokens`;--> statement-breakpoint
PRAGMA foreign_keys=ON;
DROP INDEX `refresh_tokens_session_idx`;--> statement-breakpoint
ALTER TABLE `refresh_tokens` ADD `generation` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Nothing wrote refresh tokens before this migration; should a row exist anyway, it could not be
-- numbered, and a session whose chain is empty simply starts a new one on its next token.
DELETE FROM `refresh_tokens`;--> statement-breakpoint
CREATE UNIQUE INDEX `refresh_tokens_session_generation_uq` ON `refresh_tokens` (`session_id`,`generation`);
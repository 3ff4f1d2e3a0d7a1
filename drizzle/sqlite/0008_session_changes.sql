CREATE TABLE `session_changes` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`session_id` text,
	`user_id` text,
	`changed_at` integer NOT NULL
);
--> statement-breakpoint
-- Hand-written (keep at the end when renumbering): the change log the session lookup cache
-- reads when another connection wrote to the file (PRAGMA data_version moved), to forget
-- exactly the sessions that changed instead of everything. Written by the database itself, so
-- every writer is covered: this store, another worker or gateway, the CLI, a raw UPDATE.
-- A user's row names the user: the cache forgets all of that user's sessions. A user's delete
-- also deletes its sessions (ON DELETE CASCADE), which log their own rows.
-- `changed_at` is the database's clock in epoch ms; rows leave after minutes (deleteEndedSessions).
CREATE TRIGGER `sessions_change_log_update` AFTER UPDATE ON `sessions`
BEGIN
  INSERT INTO `session_changes` (`session_id`, `changed_at`) VALUES (OLD.`id`, CAST(unixepoch('subsec') * 1000 AS INTEGER));
END;
--> statement-breakpoint
CREATE TRIGGER `sessions_change_log_delete` AFTER DELETE ON `sessions`
BEGIN
  INSERT INTO `session_changes` (`session_id`, `changed_at`) VALUES (OLD.`id`, CAST(unixepoch('subsec') * 1000 AS INTEGER));
END;
--> statement-breakpoint
CREATE TRIGGER `users_change_log_update` AFTER UPDATE ON `users`
BEGIN
  INSERT INTO `session_changes` (`user_id`, `changed_at`) VALUES (OLD.`id`, CAST(unixepoch('subsec') * 1000 AS INTEGER));
END;
--> statement-breakpoint
CREATE TRIGGER `users_change_log_delete` AFTER DELETE ON `users`
BEGIN
  INSERT INTO `session_changes` (`user_id`, `changed_at`) VALUES (OLD.`id`, CAST(unixepoch('subsec') * 1000 AS INTEGER));
END;

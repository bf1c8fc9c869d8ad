-- A change that can end or alter a caller's session is announced on the channel `auth_changes`, at
-- commit (NOTIFY is transactional; a rolled-back change announces nothing). Each server process on
-- PostgreSQL listens and forgets the sessions it had checked (src/db/auth-changes.ts), so it can
-- skip the session read on requests in between without missing a logout made on another instance.
--  * sessions: a revocation, a new absolute expiry, another owner, a deletion. Not the refresh
--    bookkeeping (idle expiry, generation, last use), which the access check does not read and
--    which a busy app changes often.
--  * users: any change or deletion: the checked row is also the caller's profile as answered.
-- Identical notifications of one transaction are folded into one by PostgreSQL.
CREATE FUNCTION "notify_auth_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('auth_changes', '');
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "sessions_auth_change" AFTER UPDATE ON "sessions" FOR EACH ROW
  WHEN (OLD."revoked_at" IS DISTINCT FROM NEW."revoked_at"
    OR OLD."absolute_expires_at" IS DISTINCT FROM NEW."absolute_expires_at"
    OR OLD."user_id" IS DISTINCT FROM NEW."user_id")
  EXECUTE FUNCTION "notify_auth_change"();
--> statement-breakpoint
CREATE TRIGGER "sessions_auth_delete" AFTER DELETE ON "sessions" FOR EACH STATEMENT EXECUTE FUNCTION "notify_auth_change"();
--> statement-breakpoint
CREATE TRIGGER "users_auth_change" AFTER UPDATE OR DELETE ON "users" FOR EACH STATEMENT EXECUTE FUNCTION "notify_auth_change"();

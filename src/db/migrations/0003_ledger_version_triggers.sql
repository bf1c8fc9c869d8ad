-- The list cache's change marker (see data_versions in schema.ts). Statement-level triggers: one
-- new value per statement however many rows it touched. A user's row only matters to lists through
-- the fields nested in a transaction, so logins, password changes and deactivation do not bump it.
INSERT INTO "data_versions" ("name") VALUES ('ledger') ON CONFLICT ("name") DO NOTHING;
--> statement-breakpoint
CREATE FUNCTION "bump_ledger_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "data_versions" SET "version" = gen_random_uuid() WHERE "name" = 'ledger';
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "transactions_bump_ledger" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "transactions"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_ledger_version"();
--> statement-breakpoint
CREATE TRIGGER "payments_bump_ledger" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "payments"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_ledger_version"();
--> statement-breakpoint
CREATE TRIGGER "periodes_bump_ledger" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "periodes"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_ledger_version"();
--> statement-breakpoint
CREATE TRIGGER "users_bump_ledger" AFTER UPDATE OF "fullname", "username", "email", "user_type", "image_profile_key" OR DELETE OR TRUNCATE ON "users"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_ledger_version"();

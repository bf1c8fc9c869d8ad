CREATE INDEX "audit_log_actor_idx" ON "audit_log" USING btree ("actor_id","id");
--> statement-breakpoint
-- Every row of a deposit's status history is also an audit entry (who, from, to, note), written in
-- the same transaction by the database itself: submission, status changes, single or bulk, and any
-- later path that records history are audited without each one calling recordAudit.
CREATE FUNCTION "audit_status_history"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "audit_log" ("actor_id", "action", "entity", "entity_id", "details", "created_at")
  VALUES (
    NEW."changed_by",
    CASE WHEN NEW."from_status" IS NULL THEN 'transaction.created' ELSE 'transaction.status_changed' END,
    'transaction',
    NEW."transaction_id",
    jsonb_build_object(
      'before', CASE WHEN NEW."from_status" IS NULL THEN NULL ELSE jsonb_build_object('status', NEW."from_status") END,
      'after', jsonb_strip_nulls(jsonb_build_object('status', NEW."to_status", 'note', NEW."note"))
    ),
    NEW."created_at"
  );
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "transaction_status_history_audit" AFTER INSERT ON "transaction_status_history"
  FOR EACH ROW EXECUTE FUNCTION "audit_status_history"();
--> statement-breakpoint
-- History recorded before this migration, oldest first, so it reads the same as what follows.
INSERT INTO "audit_log" ("actor_id", "action", "entity", "entity_id", "details", "created_at")
SELECT h."changed_by",
  CASE WHEN h."from_status" IS NULL THEN 'transaction.created' ELSE 'transaction.status_changed' END,
  'transaction', h."transaction_id",
  jsonb_build_object(
    'before', CASE WHEN h."from_status" IS NULL THEN NULL ELSE jsonb_build_object('status', h."from_status") END,
    'after', jsonb_strip_nulls(jsonb_build_object('status', h."to_status", 'note', h."note"))
  ),
  h."created_at"
FROM "transaction_status_history" h
ORDER BY h."id";

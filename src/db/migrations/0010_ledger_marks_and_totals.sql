CREATE TABLE "ledger_marks" (
	"user_id" integer PRIMARY KEY NOT NULL,
	"version" bigint DEFAULT 0 NOT NULL,
	"owned" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ledger_totals" (
	"stripe" smallint NOT NULL,
	"periode_id" integer NOT NULL,
	"payment_id" integer NOT NULL,
	"status" "transaction_status" NOT NULL,
	"count" bigint DEFAULT 0 NOT NULL,
	"amount" numeric DEFAULT '0' NOT NULL,
	CONSTRAINT "ledger_totals_stripe_periode_id_payment_id_status_pk" PRIMARY KEY("stripe","periode_id","payment_id","status")
);
--> statement-breakpoint
-- Per-user list-cache marks and running report totals (ledger_marks, ledger_totals in schema.ts),
-- kept in the same transaction as every change to transactions. They replace the one `ledger` row
-- that every transaction write updated, which serialised all writers until commit.
--  * Marks: the owner's and, when a member reported it, the reporter's mark rise by a random
--    positive step (an admin's lists follow the sum of all marks, so an admin recording deposits
--    for many members locks only those members' rows).
--  * Totals: each change is a delta per (owner stripe, periode, payment, status); a change that
--    moves nothing (an updated_at) touches no totals row. Rows are upserted in key order, so two
--    writes that share rows take their locks in one order.
CREATE FUNCTION "apply_ledger_change"(added "transactions"[], removed "transactions"[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "ledger_marks" ("user_id", "version", "owned")
  SELECT p.id, 1 + floor(random() * 1000000)::bigint, p.owned
  FROM (
    SELECT c.id, sum(c.owned)::bigint AS owned FROM (
      SELECT a."user_id" AS id, CASE WHEN a."deleted_at" IS NULL THEN 1 ELSE 0 END AS owned FROM unnest(added) a
      UNION ALL SELECT r."user_id", CASE WHEN r."deleted_at" IS NULL THEN -1 ELSE 0 END FROM unnest(removed) r
      UNION ALL SELECT x."reported_by", 0 FROM (SELECT "reported_by" FROM unnest(added) UNION ALL SELECT "reported_by" FROM unnest(removed)) x
        JOIN "users" u ON u."id" = x."reported_by" AND u."user_type" = 'member'
    ) c GROUP BY c.id
  ) p
  ORDER BY p.id
  ON CONFLICT ("user_id") DO UPDATE SET
    "version" = "ledger_marks"."version" + 1 + floor(random() * 1000000)::bigint,
    "owned" = "ledger_marks"."owned" + excluded."owned";

  INSERT INTO "ledger_totals" ("stripe", "periode_id", "payment_id", "status", "count", "amount")
  SELECT d.stripe, d.periode_id, d.payment_id, d.status, sum(d.n), sum(d.amount)
  FROM (
    SELECT (a."user_id" % 64)::smallint AS stripe, coalesce(a."periode_id", 0) AS periode_id, coalesce(a."payment_id", 0) AS payment_id,
      a."status", 1 AS n, a."amount" FROM unnest(added) a WHERE a."deleted_at" IS NULL
    UNION ALL
    SELECT (r."user_id" % 64)::smallint, coalesce(r."periode_id", 0), coalesce(r."payment_id", 0), r."status", -1, -r."amount"
      FROM unnest(removed) r WHERE r."deleted_at" IS NULL
  ) d
  GROUP BY d.stripe, d.periode_id, d.payment_id, d.status
  HAVING sum(d.n) <> 0 OR sum(d.amount) <> 0
  ORDER BY d.stripe, d.periode_id, d.payment_id, d.status
  ON CONFLICT ("stripe", "periode_id", "payment_id", "status") DO UPDATE SET
    "count" = "ledger_totals"."count" + excluded."count",
    "amount" = "ledger_totals"."amount" + excluded."amount";
END
$$;
--> statement-breakpoint
CREATE FUNCTION "ledger_after_insert"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM "apply_ledger_change"(ARRAY(SELECT ROW(n.*)::"transactions" FROM new_rows n), '{}');
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE FUNCTION "ledger_after_update"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM "apply_ledger_change"(ARRAY(SELECT ROW(n.*)::"transactions" FROM new_rows n), ARRAY(SELECT ROW(o.*)::"transactions" FROM old_rows o));
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE FUNCTION "ledger_after_delete"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM "apply_ledger_change"('{}', ARRAY(SELECT ROW(o.*)::"transactions" FROM old_rows o));
  RETURN NULL;
END
$$;
--> statement-breakpoint
DROP TRIGGER "transactions_bump_ledger" ON "transactions";
--> statement-breakpoint
CREATE TRIGGER "transactions_ledger_insert" AFTER INSERT ON "transactions"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "ledger_after_insert"();
--> statement-breakpoint
CREATE TRIGGER "transactions_ledger_update" AFTER UPDATE ON "transactions"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "ledger_after_update"();
--> statement-breakpoint
CREATE TRIGGER "transactions_ledger_delete" AFTER DELETE ON "transactions"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "ledger_after_delete"();
--> statement-breakpoint
-- TRUNCATE names no rows: it empties the totals and changes every list (the catalog marker).
CREATE FUNCTION "ledger_after_truncate"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "ledger_totals";
  UPDATE "ledger_marks" SET "owned" = 0;
  UPDATE "data_versions" SET "version" = gen_random_uuid() WHERE "name" = 'ledger';
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "transactions_ledger_truncate" AFTER TRUNCATE ON "transactions"
  FOR EACH STATEMENT EXECUTE FUNCTION "ledger_after_truncate"();
--> statement-breakpoint
-- The totals and owner counts of the rows that exist now.
INSERT INTO "ledger_marks" ("user_id", "version", "owned")
SELECT "user_id", 1, count(*) FROM "transactions" WHERE "deleted_at" IS NULL GROUP BY "user_id";
--> statement-breakpoint
INSERT INTO "ledger_totals" ("stripe", "periode_id", "payment_id", "status", "count", "amount")
SELECT ("user_id" % 64)::smallint, coalesce("periode_id", 0), coalesce("payment_id", 0), "status", count(*), sum("amount")
FROM "transactions" WHERE "deleted_at" IS NULL
GROUP BY 1, 2, 3, 4;

CREATE SCHEMA "eventfold";
--> statement-breakpoint
CREATE TABLE "eventfold"."checkpoints" (
	"name" text PRIMARY KEY NOT NULL,
	"transaction_id" bigint NOT NULL,
	"position" bigint NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"last_error" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "checkpoints_status_check" CHECK ("eventfold"."checkpoints"."status" in ('running', 'stopped', 'failed', 'rebuilding'))
);
--> statement-breakpoint
CREATE TABLE "eventfold"."events" (
	"global_position" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "eventfold"."events_global_position_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"transaction_id" "xid8" DEFAULT pg_current_xact_id() NOT NULL,
	"stream_id" text NOT NULL,
	"stream_type" text NOT NULL,
	"version" integer NOT NULL,
	"event_id" uuid NOT NULL,
	"type" text NOT NULL,
	"data" jsonb NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"occurred_at" timestamp with time zone DEFAULT date_trunc('milliseconds', now()) NOT NULL
);
--> statement-breakpoint
CREATE TABLE "eventfold"."snapshots" (
	"stream_id" text PRIMARY KEY NOT NULL,
	"version" integer NOT NULL,
	"schema_version" integer NOT NULL,
	"state" jsonb NOT NULL,
	"taken_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "eventfold"."streams" (
	"id" text PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"version" integer NOT NULL,
	"last_transaction_id" "xid8" DEFAULT pg_current_xact_id() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "events_stream_version_uq" ON "eventfold"."events" USING btree ("stream_id","version");--> statement-breakpoint
CREATE UNIQUE INDEX "events_event_id_uq" ON "eventfold"."events" USING btree ("event_id");--> statement-breakpoint
CREATE INDEX "events_feed_idx" ON "eventfold"."events" USING btree ("transaction_id","global_position");--> statement-breakpoint
CREATE INDEX "events_type_feed_idx" ON "eventfold"."events" USING btree ("type","transaction_id","global_position");--> statement-breakpoint
CREATE INDEX "events_stream_type_feed_idx" ON "eventfold"."events" USING btree ("stream_type","transaction_id","global_position");
DROP INDEX "eventfold"."events_type_feed_idx";--> statement-breakpoint
DROP INDEX "eventfold"."events_stream_type_feed_idx";--> statement-breakpoint
ALTER TABLE "eventfold"."events" ALTER COLUMN "stream_id" SET DATA TYPE text COLLATE "C";--> statement-breakpoint
ALTER TABLE "eventfold"."events" ALTER COLUMN "stream_type" SET DATA TYPE text COLLATE "C";--> statement-breakpoint
ALTER TABLE "eventfold"."events" ALTER COLUMN "type" SET DATA TYPE text COLLATE "C";--> statement-breakpoint
ALTER TABLE "eventfold"."snapshots" ALTER COLUMN "stream_id" SET DATA TYPE text COLLATE "C";--> statement-breakpoint
ALTER TABLE "eventfold"."streams" ALTER COLUMN "id" SET DATA TYPE text COLLATE "C";--> statement-breakpoint
ALTER TABLE "eventfold"."streams" ALTER COLUMN "type" SET DATA TYPE text COLLATE "C";--> statement-breakpoint
CREATE INDEX "events_type_feed_idx" ON "eventfold"."events" USING btree (hashtext("type"),"transaction_id","global_position");--> statement-breakpoint
CREATE INDEX "events_stream_type_feed_idx" ON "eventfold"."events" USING btree (hashtext("stream_type"),"transaction_id","global_position");
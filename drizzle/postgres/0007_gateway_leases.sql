CREATE TABLE "gateway_leases" (
	"gateway_id" text PRIMARY KEY NOT NULL,
	"acquired_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);

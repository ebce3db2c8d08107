// Generated from the ingest service's OpenAPI document by scripts/generate-api.mjs. Do not edit.
export interface paths {
    "/api/ingest/audit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Admin actions, newest first, with filters and cursor paging */
        get: operations["read_audit_api_ingest_audit_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/ingest/catalog": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The catalog of tables to ingest */
        get: operations["list_catalog_api_ingest_catalog_get"];
        put?: never;
        /** Add a table to the catalog */
        post: operations["add_catalog_entry_api_ingest_catalog_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/ingest/catalog/{stats_data_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One catalog entry */
        get: operations["get_catalog_entry_api_ingest_catalog__stats_data_id__get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Change a catalog entry */
        patch: operations["update_catalog_entry_api_ingest_catalog__stats_data_id__patch"];
        trace?: never;
    };
    "/api/ingest/runs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Runs, newest first */
        get: operations["list_runs_api_ingest_runs_get"];
        put?: never;
        /** Ingest any e-Stat table by its statsDataId */
        post: operations["create_run_api_ingest_runs_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/ingest/runs/{run_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A run: status, progress, counts, timings, quality, error */
        get: operations["get_run_api_ingest_runs__run_id__get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/ingest/runs/{run_id}/retry": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Retry a failed or blocked run as a new run */
        post: operations["retry_run_api_ingest_runs__run_id__retry_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The process is alive */
        get: operations["healthz_healthz_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The service's dependencies answer */
        get: operations["readyz_readyz_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** AuditEventPage */
        AuditEventPage: {
            /** Items */
            items: components["schemas"]["AuditEventRead"][];
            /** Next */
            next: string | null;
        };
        /** AuditEventRead */
        AuditEventRead: {
            /** Action */
            action: string;
            /** Actor Id */
            actor_id: string;
            /** Actor Kind */
            actor_kind: string;
            /** After */
            after: unknown;
            /** Before */
            before: unknown;
            /** Client Ip */
            client_ip: string | null;
            /** Hash */
            hash: string;
            /**
             * Occurred At
             * Format: date-time
             */
            occurred_at: string;
            /** Prev Hash */
            prev_hash: string;
            /** Request Id */
            request_id: string | null;
            /** Seq */
            seq: number;
            /** Target Id */
            target_id: string;
            /** Target Type */
            target_type: string;
        };
        /**
         * CatalogEntryCreate
         * @description A table to add to the catalog (same fields as catalog.yaml).
         */
        CatalogEntryCreate: {
            /**
             * Area Dimension
             * @default area
             */
            area_dimension: string;
            /** Attribution */
            attribution?: string | null;
            /**
             * Enabled
             * @default true
             */
            enabled: boolean;
            /**
             * Filters
             * @description e-Stat narrowing parameters (cdCat01, lvArea...)
             */
            filters?: {
                [key: string]: string | string[];
            };
            /**
             * Quality
             * @description severity overrides, e.g. {jump: block}
             */
            quality?: {
                [key: string]: "block" | "warn";
            };
            /**
             * Schedule
             * @description `daily` (INGEST_SCHEDULE_DAILY), `manual` or a five-field cron expression
             * @default daily
             */
            schedule: string;
            /** Stats Data Id */
            stats_data_id: string;
            /**
             * Time Dimension
             * @default time
             */
            time_dimension: string;
            /** Title */
            title?: string | null;
        };
        /** CatalogEntryRead */
        CatalogEntryRead: {
            /** Active Run Id */
            active_run_id?: string | null;
            /** Area Dimension */
            area_dimension: string;
            /** Attribution */
            attribution: string | null;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            current: components["schemas"]["CurrentVersion"];
            /** Enabled */
            enabled: boolean;
            /** Filters */
            filters: {
                [key: string]: string | string[];
            };
            /**
             * Origin
             * @enum {string}
             */
            origin: "catalog" | "api";
            /** Quality */
            quality: {
                [key: string]: string;
            };
            /** Schedule */
            schedule: string;
            /** Stats Data Id */
            stats_data_id: string;
            /** Time Dimension */
            time_dimension: string;
            /** Title */
            title: string | null;
            /**
             * Updated At
             * Format: date-time
             */
            updated_at: string;
        };
        /** CatalogEntryUpdate */
        CatalogEntryUpdate: {
            /** Area Dimension */
            area_dimension?: string | null;
            /** Attribution */
            attribution?: string | null;
            /** Enabled */
            enabled?: boolean | null;
            /** Filters */
            filters?: {
                [key: string]: string | string[];
            } | null;
            /** Quality */
            quality?: {
                [key: string]: "block" | "warn";
            } | null;
            /** Schedule */
            schedule?: string | null;
            /** Time Dimension */
            time_dimension?: string | null;
            /** Title */
            title?: string | null;
        };
        /** CatalogList */
        CatalogList: {
            /** Items */
            items: components["schemas"]["CatalogEntryRead"][];
        };
        /** Counts */
        Counts: {
            /** Batches */
            batches: number | null;
            /** Blocking */
            blocking: number;
            /** Cells */
            cells: number | null;
            /** Pages */
            pages: number | null;
            /** Warnings */
            warnings: number;
        };
        /** CurrentVersion */
        CurrentVersion: {
            /** Applied At */
            applied_at: string | null;
            /** Cell Count */
            cell_count: number | null;
            /** Content Hash */
            content_hash: string | null;
            /** Run Id */
            run_id: string | null;
            /** Version */
            version: number | null;
        };
        /** ErrorInfo */
        ErrorInfo: {
            /** Code */
            code: string | null;
            /** Message */
            message: string | null;
        };
        /** FindingRead */
        FindingRead: {
            /** Check */
            check: string;
            /** Count */
            count: number;
            /** Message */
            message: string;
            /** Samples */
            samples: unknown[];
            /**
             * Severity
             * @enum {string}
             */
            severity: "block" | "warn";
        };
        /**
         * Problem
         * @description An RFC 9457 problem document; members beyond these (``retry_after``...) may follow.
         */
        Problem: {
            /**
             * Code
             * @description Stable, machine-readable
             * @example validation-failed
             */
            code: string;
            /** Detail */
            detail: string;
            /**
             * Errors
             * @default null
             */
            errors: components["schemas"]["ProblemField"][] | null;
            /**
             * Instance
             * @description The request's path
             */
            instance: string;
            /** Request Id */
            request_id: string | null;
            /** Status */
            status: number;
            /** Title */
            title: string;
            /**
             * Type
             * @example /problems/validation-failed
             */
            type: string;
        } & {
            [key: string]: unknown;
        };
        /** ProblemField */
        ProblemField: {
            /**
             * Field
             * @description Where: body.x, query.y, path.z
             */
            field: string;
            /** Message */
            message: string;
            /** Type */
            type: string;
        };
        /** Progress */
        Progress: {
            /** Batch Count */
            batch_count?: number | null;
            /**
             * Batches Sent
             * @default 0
             */
            batches_sent: number;
            /**
             * Cells Fetched
             * @default 0
             */
            cells_fetched: number;
            /** Cells Total */
            cells_total?: number | null;
            /** Fetched Percent */
            fetched_percent?: number | null;
            /**
             * Pages Fetched
             * @default 0
             */
            pages_fetched: number;
            /** Published Percent */
            published_percent?: number | null;
        };
        /** RunAccepted */
        RunAccepted: {
            /** Href */
            href: string;
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /**
             * Queued At
             * Format: date-time
             */
            queued_at: string;
            /** Retry Of */
            retry_of?: string | null;
            /** Stats Data Id */
            stats_data_id: string;
            /**
             * Status
             * @enum {string}
             */
            status: "queued" | "running" | "succeeded" | "failed" | "blocked";
            /** Trigger */
            trigger: string;
        };
        /** RunCreate */
        RunCreate: {
            /**
             * Filters
             * @description e-Stat narrowing parameters; the version published holds only these cells
             * @example {
             *       "cdArea": "13000"
             *     }
             */
            filters?: {
                [key: string]: string | string[];
            };
            /**
             * Stats Data Id
             * @description e-Stat statsDataId
             * @example 0003445099
             */
            stats_data_id: string;
        };
        /** RunDetail */
        RunDetail: {
            /** Attempt */
            attempt: number;
            /** Content Hash */
            content_hash: string | null;
            counts: components["schemas"]["Counts"];
            error: components["schemas"]["ErrorInfo"] | null;
            /** Filters */
            filters: {
                [key: string]: string | string[];
            };
            /** Finished At */
            finished_at: string | null;
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Max Rss Bytes */
            max_rss_bytes: number | null;
            /** Outcome */
            outcome: ("published" | "unchanged") | null;
            /** Phase */
            phase: string | null;
            progress: components["schemas"]["Progress"];
            /** Quality */
            quality: components["schemas"]["FindingRead"][];
            /**
             * Queued At
             * Format: date-time
             */
            queued_at: string;
            /** Retry Of */
            retry_of: string | null;
            /** Source Url */
            source_url: string | null;
            /** Stats Data Id */
            stats_data_id: string;
            /**
             * Status
             * @enum {string}
             */
            status: "queued" | "running" | "succeeded" | "failed" | "blocked";
            timings: components["schemas"]["Timings"];
            /** Trigger */
            trigger: string;
            /**
             * Version
             * @description stats' version of the dataset this run produced
             */
            version: number | null;
            /** Worker */
            worker: string | null;
        };
        /** RunList */
        RunList: {
            /** Items */
            items: components["schemas"]["RunSummary"][];
            /** Limit */
            limit: number;
            /** Offset */
            offset: number;
            /** Total */
            total: number;
        };
        /** RunSummary */
        RunSummary: {
            /** Attempt */
            attempt: number;
            /** Content Hash */
            content_hash: string | null;
            counts: components["schemas"]["Counts"];
            error: components["schemas"]["ErrorInfo"] | null;
            /** Filters */
            filters: {
                [key: string]: string | string[];
            };
            /** Finished At */
            finished_at: string | null;
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Outcome */
            outcome: ("published" | "unchanged") | null;
            /** Phase */
            phase: string | null;
            /**
             * Queued At
             * Format: date-time
             */
            queued_at: string;
            /** Retry Of */
            retry_of: string | null;
            /** Stats Data Id */
            stats_data_id: string;
            /**
             * Status
             * @enum {string}
             */
            status: "queued" | "running" | "succeeded" | "failed" | "blocked";
            /** Trigger */
            trigger: string;
            /**
             * Version
             * @description stats' version of the dataset this run produced
             */
            version: number | null;
        };
        /** Timings */
        Timings: {
            /** Apply Seconds */
            apply_seconds?: number | null;
            /** Check Seconds */
            check_seconds?: number | null;
            /** Fetch Seconds */
            fetch_seconds?: number | null;
            /** Finished At */
            finished_at: string | null;
            /** Heartbeat At */
            heartbeat_at: string | null;
            /** Publish Seconds */
            publish_seconds?: number | null;
            /** Published At */
            published_at: string | null;
            /**
             * Queued At
             * Format: date-time
             */
            queued_at: string;
            /** Started At */
            started_at: string | null;
            /** Total Seconds */
            total_seconds?: number | null;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    read_audit_api_ingest_audit_get: {
        parameters: {
            query?: {
                /** @description Actor id */
                actor?: string | null;
                action?: string | null;
                target_type?: string | null;
                target_id?: string | null;
                /** @description Occurred at or after */
                since?: string | null;
                /** @description Occurred before */
                until?: string | null;
                limit?: number;
                /** @description From `next` */
                cursor?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuditEventPage"];
                };
            };
            /** @description No valid access token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not allowed for this role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid input, each problem listed in errors */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected server error (logged) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency (database, Redis, keys) cannot be reached */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_catalog_api_ingest_catalog_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CatalogList"];
                };
            };
            /** @description No valid access token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not allowed for this role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid input, each problem listed in errors */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected server error (logged) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency (database, Redis, keys) cannot be reached */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    add_catalog_entry_api_ingest_catalog_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CatalogEntryCreate"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CatalogEntryRead"];
                };
            };
            /** @description Malformed request body (not JSON, or nested too deeply) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No valid access token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not allowed for this role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid input, each problem listed in errors */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected server error (logged) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency (database, Redis, keys) cannot be reached */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_catalog_entry_api_ingest_catalog__stats_data_id__get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description e-Stat statsDataId */
                stats_data_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CatalogEntryRead"];
                };
            };
            /** @description No valid access token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not allowed for this role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid input, each problem listed in errors */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected server error (logged) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency (database, Redis, keys) cannot be reached */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    update_catalog_entry_api_ingest_catalog__stats_data_id__patch: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description e-Stat statsDataId */
                stats_data_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CatalogEntryUpdate"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CatalogEntryRead"];
                };
            };
            /** @description Malformed request body (not JSON, or nested too deeply) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No valid access token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not allowed for this role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid input, each problem listed in errors */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected server error (logged) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency (database, Redis, keys) cannot be reached */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_runs_api_ingest_runs_get: {
        parameters: {
            query?: {
                stats_data_id?: string | null;
                status?: ("queued" | "running" | "succeeded" | "failed" | "blocked")[] | null;
                trigger?: string | null;
                /** @description queued at or after */
                since?: string | null;
                /** @description queued before */
                until?: string | null;
                limit?: number;
                /** @description Items to skip */
                offset?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunList"];
                };
            };
            /** @description No valid access token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not allowed for this role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid input, each problem listed in errors */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected server error (logged) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency (database, Redis, keys) cannot be reached */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    create_run_api_ingest_runs_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RunCreate"];
            };
        };
        responses: {
            /** @description Successful Response */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunAccepted"];
                };
            };
            /** @description Malformed request body (not JSON, or nested too deeply) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No valid access token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not allowed for this role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the dataset already has a queued or running run */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid input, each problem listed in errors */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected server error (logged) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency (database, Redis, keys) cannot be reached */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_run_api_ingest_runs__run_id__get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                run_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunDetail"];
                };
            };
            /** @description No valid access token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not allowed for this role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid input, each problem listed in errors */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected server error (logged) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency (database, Redis, keys) cannot be reached */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    retry_run_api_ingest_runs__run_id__retry_post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                run_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunAccepted"];
                };
            };
            /** @description No valid access token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not allowed for this role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the run is not failed or blocked, or another run is active */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid input, each problem listed in errors */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected server error (logged) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency (database, Redis, keys) cannot be reached */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    healthz_healthz_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        [key: string]: string;
                    };
                };
            };
            /** @description Invalid input, each problem listed in errors */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected server error (logged) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency (database, Redis, keys) cannot be reached */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    readyz_readyz_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                };
            };
            /** @description Invalid input, each problem listed in errors */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected server error (logged) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency (database, Redis, keys) cannot be reached */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
}

// Generated from the stats service's OpenAPI document by scripts/generate-api.mjs. Do not edit.
export interface paths {
    "/api/boundaries/{level}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The municipal or ward boundaries alone (TopoJSON or GeoJSON), one body per release */
        get: operations["boundaries_api_boundaries__level__get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/comparison": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Regions x indicators for a year or a range, with the nation alongside */
        get: operations["compare_api_comparison_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/datasets": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every dataset: metadata, version, dimensions, attribution */
        get: operations["list_datasets_api_datasets_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/datasets/{stats_data_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One dataset: metadata, every dimension with its items, notes, versions */
        get: operations["get_dataset_api_datasets__stats_data_id__get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/datasets/{stats_data_id}/observations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A dataset's cells with their e-Stat codes, filtered and cursor-paginated
         * @description Filters: `area`, `time` (e-Stat codes or 2020, FY2020, 2020Q1, 2020-03) and any of the dataset's dimension ids (`tab`, `cat01`...), each a comma-separated list of codes. Rows come in (series, area, time) order, at most 10000 per page.
         */
        get: operations["observations_api_datasets__stats_data_id__observations_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/indicators": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The indicator catalog, by category or search */
        get: operations["list_indicators_api_indicators_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/indicators/{code}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One indicator: definition, sources, formula */
        get: operations["get_indicator_api_indicators__code__get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/kpi": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Headline indicators of a region: latest value, changes, rank, sparkline */
        get: operations["kpis_api_kpi_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/livability": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Livability index of every region of a level: scores, ranks, contributions */
        get: operations["livability_index_api_livability_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/livability/components": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The scorable indicators, their default weights and the scoring method */
        get: operations["livability_components_api_livability_components_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/livability/{code}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One region's livability score and each component's contribution to it */
        get: operations["region_livability_api_livability__code__get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/population": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Cross-section: every region of a level in one year, with ranks (1 = largest) */
        get: operations["population_cross_section_api_population_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/population/{code}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A region's population as time series: total, sex, age, density, ageing, births, deaths, migration */
        get: operations["population_series_api_population__code__get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/population/{code}/pyramid": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Population by sex and five-year age group (a pyramid), one frame per census year */
        get: operations["population_pyramid_api_population__code__pyramid_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/regions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List regions by level, parent or name */
        get: operations["list_regions_api_regions_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/regions/{code}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One region, its parent and children */
        get: operations["get_region_api_regions__code__get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/statistics/correlation": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Pearson and Spearman correlation of two indicators across regions */
        get: operations["correlation_api_statistics_correlation_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/statistics/growth": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Year-over-year growth of an indicator for a region, and its CAGR */
        get: operations["growth_api_statistics_growth_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/statistics/moving-average": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Moving average of an indicator for a region over a window of years */
        get: operations["moving_average_api_statistics_moving_average_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/statistics/summary": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Count, mean, median, std, quartiles, min/max with regions, CV over regions */
        get: operations["distribution_api_statistics_summary_get"];
        put?: never;
        post?: never;
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
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    boundaries_api_boundaries__level__get: {
        parameters: {
            query?: {
                /** @description json (default), csv, chartjs (Chart.js data object), geojson (polygons with the values as properties) or topojson (municipal and ward maps), where the route offers it */
                format?: string | null;
            };
            header?: never;
            path: {
                /** @description municipality or ward */
                level: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The answer, in the format asked for (json, csv, chartjs, geojson, topojson). Carries ETag, Cache-Control and X-Cache (HIT, MISS or BYPASS when Redis is down). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/geo+json": unknown;
                    "application/json": unknown;
                    "application/topo+json": unknown;
                    "text/csv": unknown;
                };
            };
            /** @description If-None-Match named the current ETag: nothing changed */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
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
            /** @description An unknown region, indicator or dataset, named */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Malformed parameters, each listed in errors */
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
    compare_api_comparison_get: {
        parameters: {
            query?: {
                /** @description Region codes, comma-separated (at most 20) */
                regions?: string[] | null;
                /** @description Indicator codes, comma-separated (at most 10) */
                indicators?: string[] | null;
                /** @description A year: 2020 (calendar or fiscal year, as each source publishes it), CY2020 or FY2020 (only that kind) or an e-Stat year code (2020100000) */
                period?: string | null;
                /** @description First year of a range */
                from?: string | null;
                /** @description Last year of a range */
                to?: string | null;
                /** @description Add the nation's values: true (default) or false */
                national?: string | null;
                /** @description json (default), csv, chartjs (Chart.js data object), geojson (polygons with the values as properties) or topojson (municipal and ward maps), where the route offers it */
                format?: string | null;
                /** @description Language of labels in csv, chartjs and geojson output: ja (default) or en */
                lang?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The answer, in the format asked for (json, csv, chartjs, geojson, topojson). Carries ETag, Cache-Control and X-Cache (HIT, MISS or BYPASS when Redis is down). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/geo+json": unknown;
                    "application/json": unknown;
                    "application/topo+json": unknown;
                    "text/csv": unknown;
                };
            };
            /** @description If-None-Match named the current ETag: nothing changed */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
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
            /** @description An unknown region, indicator or dataset, named */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Malformed parameters, each listed in errors */
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
    list_datasets_api_datasets_get: {
        parameters: {
            query?: {
                /** @description json (default), csv, chartjs (Chart.js data object), geojson (polygons with the values as properties) or topojson (municipal and ward maps), where the route offers it */
                format?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The answer, in the format asked for (json, csv, chartjs, geojson, topojson). Carries ETag, Cache-Control and X-Cache (HIT, MISS or BYPASS when Redis is down). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/geo+json": unknown;
                    "application/json": unknown;
                    "application/topo+json": unknown;
                    "text/csv": unknown;
                };
            };
            /** @description If-None-Match named the current ETag: nothing changed */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
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
            /** @description An unknown region, indicator or dataset, named */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Malformed parameters, each listed in errors */
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
    get_dataset_api_datasets__stats_data_id__get: {
        parameters: {
            query?: {
                /** @description json (default), csv, chartjs (Chart.js data object), geojson (polygons with the values as properties) or topojson (municipal and ward maps), where the route offers it */
                format?: string | null;
            };
            header?: never;
            path: {
                stats_data_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The answer, in the format asked for (json, csv, chartjs, geojson, topojson). Carries ETag, Cache-Control and X-Cache (HIT, MISS or BYPASS when Redis is down). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/geo+json": unknown;
                    "application/json": unknown;
                    "application/topo+json": unknown;
                    "text/csv": unknown;
                };
            };
            /** @description If-None-Match named the current ETag: nothing changed */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
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
            /** @description An unknown region, indicator or dataset, named */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Malformed parameters, each listed in errors */
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
    observations_api_datasets__stats_data_id__observations_get: {
        parameters: {
            query?: {
                /** @description Area codes */
                area?: string[] | null;
                /** @description Time codes or periods */
                time?: string[] | null;
                /** @description Rows per page, 1-10000 (default 1000) */
                limit?: string | null;
                /** @description next_cursor of the previous page */
                cursor?: string | null;
                /** @description json (default), csv, chartjs (Chart.js data object), geojson (polygons with the values as properties) or topojson (municipal and ward maps), where the route offers it */
                format?: string | null;
            };
            header?: never;
            path: {
                stats_data_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The answer, in the format asked for (json, csv, chartjs, geojson, topojson). Carries ETag, Cache-Control and X-Cache (HIT, MISS or BYPASS when Redis is down). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/geo+json": unknown;
                    "application/json": unknown;
                    "application/topo+json": unknown;
                    "text/csv": unknown;
                };
            };
            /** @description If-None-Match named the current ETag: nothing changed */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
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
            /** @description An unknown region, indicator or dataset, named */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Malformed parameters, each listed in errors */
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
    list_indicators_api_indicators_get: {
        parameters: {
            query?: {
                /** @description population, vital, health... */
                category?: string | null;
                /** @description Part of the code, names or definition */
                q?: string | null;
                /** @description json (default), csv, chartjs (Chart.js data object), geojson (polygons with the values as properties) or topojson (municipal and ward maps), where the route offers it */
                format?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The answer, in the format asked for (json, csv, chartjs, geojson, topojson). Carries ETag, Cache-Control and X-Cache (HIT, MISS or BYPASS when Redis is down). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/geo+json": unknown;
                    "application/json": unknown;
                    "application/topo+json": unknown;
                    "text/csv": unknown;
                };
            };
            /** @description If-None-Match named the current ETag: nothing changed */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
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
            /** @description An unknown region, indicator or dataset, named */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Malformed parameters, each listed in errors */
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
    get_indicator_api_indicators__code__get: {
        parameters: {
            query?: {
                /** @description json (default), csv, chartjs (Chart.js data object), geojson (polygons with the values as properties) or topojson (municipal and ward maps), where the route offers it */
                format?: string | null;
            };
            header?: never;
            path: {
                code: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The answer, in the format asked for (json, csv, chartjs, geojson, topojson). Carries ETag, Cache-Control and X-Cache (HIT, MISS or BYPASS when Redis is down). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/geo+json": unknown;
                    "application/json": unknown;
                    "application/topo+json": unknown;
                    "text/csv": unknown;
                };
            };
            /** @description If-None-Match named the current ETag: nothing changed */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
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
            /** @description An unknown region, indicator or dataset, named */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Malformed parameters, each listed in errors */
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
    kpis_api_kpi_get: {
        parameters: {
            query?: {
                /** @description Region code (required) */
                region?: string | null;
                /** @description Indicator codes (at most 12; default: population.total, population.aged_65_plus_share, population.aged_0_14_share, vital.births, vital.total_fertility_rate, migration.net, labour.job_openings_ratio, health.hospitals_per_100k) */
                indicators?: string[] | null;
                /** @description Points per sparkline, 2-50 (default 10) */
                sparkline?: string | null;
                /** @description json (default), csv, chartjs (Chart.js data object), geojson (polygons with the values as properties) or topojson (municipal and ward maps), where the route offers it */
                format?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The answer, in the format asked for (json, csv, chartjs, geojson, topojson). Carries ETag, Cache-Control and X-Cache (HIT, MISS or BYPASS when Redis is down). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/geo+json": unknown;
                    "application/json": unknown;
                    "application/topo+json": unknown;
                    "text/csv": unknown;
                };
            };
            /** @description If-None-Match named the current ETag: nothing changed */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
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
            /** @description An unknown region, indicator or dataset, named */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Malformed parameters, each listed in errors */
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
    livability_index_api_livability_get: {
        parameters: {
            query?: {
                /** @description prefecture (default), municipality or ward */
                level?: string | null;
                /** @description Only regions inside this region (e.g. a prefecture code) */
                parent?: string | null;
                /** @description A year: 2020 (calendar or fiscal year, as each source publishes it), CY2020 or FY2020 (only that kind) or an e-Stat year code (2020100000) */
                period?: string | null;
                /** @description indicator:weight pairs, comma-separated (e.g. health.hospitals_per_100k:2,labour.job_openings_ratio:0.5); weights 0-100, 0 leaves a component out; the others keep their default */
                weights?: string[] | null;
                /** @description json (default), csv, chartjs (Chart.js data object), geojson (polygons with the values as properties) or topojson (municipal and ward maps), where the route offers it */
                format?: string | null;
                /** @description Language of labels in csv, chartjs and geojson output: ja (default) or en */
                lang?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The answer, in the format asked for (json, csv, chartjs, geojson, topojson). Carries ETag, Cache-Control and X-Cache (HIT, MISS or BYPASS when Redis is down). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/geo+json": unknown;
                    "application/json": unknown;
                    "application/topo+json": unknown;
                    "text/csv": unknown;
                };
            };
            /** @description If-None-Match named the current ETag: nothing changed */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
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
            /** @description An unknown region, indicator or dataset, named */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Malformed parameters, each listed in errors */
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
    livability_components_api_livability_components_get: {
        parameters: {
            query?: {
                /** @description json (default), csv, chartjs (Chart.js data object), geojson (polygons with the values as properties) or topojson (municipal and ward maps), where the route offers it */
                format?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The answer, in the format asked for (json, csv, chartjs, geojson, topojson). Carries ETag, Cache-Control and X-Cache (HIT, MISS or BYPASS when Redis is down). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/geo+json": unknown;
                    "application/json": unknown;
                    "application/topo+json": unknown;
                    "text/csv": unknown;
                };
            };
            /** @description If-None-Match named the current ETag: nothing changed */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
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
            /** @description An unknown region, indicator or dataset, named */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Malformed parameters, each listed in errors */
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
    region_livability_api_livability__code__get: {
        parameters: {
            query?: {
                /** @description A year: 2020 (calendar or fiscal year, as each source publishes it), CY2020 or FY2020 (only that kind) or an e-Stat year code (2020100000) */
                period?: string | null;
                /** @description indicator:weight pairs, comma-separated (e.g. health.hospitals_per_100k:2,labour.job_openings_ratio:0.5); weights 0-100, 0 leaves a component out; the others keep their default */
                weights?: string[] | null;
                /** @description json (default), csv, chartjs (Chart.js data object), geojson (polygons with the values as properties) or topojson (municipal and ward maps), where the route offers it */
                format?: string | null;
                /** @description Language of labels in csv, chartjs and geojson output: ja (default) or en */
                lang?: string | null;
            };
            header?: never;
            path: {
                code: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The answer, in the format asked for (json, csv, chartjs, geojson, topojson). Carries ETag, Cache-Control and X-Cache (HIT, MISS or BYPASS when Redis is down). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/geo+json": unknown;
                    "application/json": unknown;
                    "application/topo+json": unknown;
                    "text/csv": unknown;
                };
            };
            /** @description If-None-Match named the current ETag: nothing changed */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
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
            /** @description An unknown region, indicator or dataset, named */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Malformed parameters, each listed in errors */
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
    population_cross_section_api_population_get: {
        parameters: {
            query?: {
                /** @description prefecture (default), municipality or ward */
                level?: string | null;
                /** @description Only regions inside this region (e.g. a prefecture code) */
                parent?: string | null;
                /** @description A year: 2020 (calendar or fiscal year, as each source publishes it), CY2020 or FY2020 (only that kind) or an e-Stat year code (2020100000) */
                period?: string | null;
                /** @description Comma-separated subset of: population.total, population.male, population.female, population.aged_0_14, population.aged_15_64, population.aged_65_plus, population.aged_0_14_share, population.aged_65_plus_share, population.density, vital.births, vital.deaths, vital.natural_change, migration.in, migration.out, migration.net (default: all) */
                indicators?: string[] | null;
                /** @description json (default), csv, chartjs (Chart.js data object), geojson (polygons with the values as properties) or topojson (municipal and ward maps), where the route offers it */
                format?: string | null;
                /** @description Language of labels in csv, chartjs and geojson output: ja (default) or en */
                lang?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The answer, in the format asked for (json, csv, chartjs, geojson, topojson). Carries ETag, Cache-Control and X-Cache (HIT, MISS or BYPASS when Redis is down). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/geo+json": unknown;
                    "application/json": unknown;
                    "application/topo+json": unknown;
                    "text/csv": unknown;
                };
            };
            /** @description If-None-Match named the current ETag: nothing changed */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
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
            /** @description An unknown region, indicator or dataset, named */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Malformed parameters, each listed in errors */
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
    population_series_api_population__code__get: {
        parameters: {
            query?: {
                /** @description A year: 2020 (calendar or fiscal year, as each source publishes it), CY2020 or FY2020 (only that kind) or an e-Stat year code (2020100000) */
                period?: string | null;
                /** @description First year of a range */
                from?: string | null;
                /** @description Last year of a range */
                to?: string | null;
                /** @description Subset of the population indicators */
                indicators?: string[] | null;
                /** @description json (default), csv, chartjs (Chart.js data object), geojson (polygons with the values as properties) or topojson (municipal and ward maps), where the route offers it */
                format?: string | null;
                /** @description Language of labels in csv, chartjs and geojson output: ja (default) or en */
                lang?: string | null;
            };
            header?: never;
            path: {
                code: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The answer, in the format asked for (json, csv, chartjs, geojson, topojson). Carries ETag, Cache-Control and X-Cache (HIT, MISS or BYPASS when Redis is down). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/geo+json": unknown;
                    "application/json": unknown;
                    "application/topo+json": unknown;
                    "text/csv": unknown;
                };
            };
            /** @description If-None-Match named the current ETag: nothing changed */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
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
            /** @description An unknown region, indicator or dataset, named */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Malformed parameters, each listed in errors */
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
    population_pyramid_api_population__code__pyramid_get: {
        parameters: {
            query?: {
                /** @description A year: 2020 (calendar or fiscal year, as each source publishes it), CY2020 or FY2020 (only that kind) or an e-Stat year code (2020100000) */
                period?: string | null;
                /** @description First year of a range */
                from?: string | null;
                /** @description Last year of a range */
                to?: string | null;
                /** @description chartjs bars: count (default) or share (% of the year's total) */
                measure?: string | null;
                /** @description json (default), csv, chartjs (Chart.js data object), geojson (polygons with the values as properties) or topojson (municipal and ward maps), where the route offers it */
                format?: string | null;
                /** @description Language of labels in csv, chartjs and geojson output: ja (default) or en */
                lang?: string | null;
            };
            header?: never;
            path: {
                code: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The answer, in the format asked for (json, csv, chartjs, geojson, topojson). Carries ETag, Cache-Control and X-Cache (HIT, MISS or BYPASS when Redis is down). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/geo+json": unknown;
                    "application/json": unknown;
                    "application/topo+json": unknown;
                    "text/csv": unknown;
                };
            };
            /** @description If-None-Match named the current ETag: nothing changed */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
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
            /** @description An unknown region, indicator or dataset, named */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Malformed parameters, each listed in errors */
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
    list_regions_api_regions_get: {
        parameters: {
            query?: {
                /** @description One of: nation, prefecture, municipality, ward, other */
                level?: string | null;
                /** @description Direct parent's code (e-Stat @parentCode) */
                parent?: string | null;
                /** @description Every region of this prefecture */
                prefecture?: string | null;
                /** @description Part of the name in kanji, kana or romaji */
                q?: string | null;
                /** @description Page size, 1-1000 (default 100) */
                limit?: string | null;
                /** @description next_cursor of the previous page */
                cursor?: string | null;
                /** @description json (default), csv, chartjs (Chart.js data object), geojson (polygons with the values as properties) or topojson (municipal and ward maps), where the route offers it */
                format?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The answer, in the format asked for (json, csv, chartjs, geojson, topojson). Carries ETag, Cache-Control and X-Cache (HIT, MISS or BYPASS when Redis is down). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/geo+json": unknown;
                    "application/json": unknown;
                    "application/topo+json": unknown;
                    "text/csv": unknown;
                };
            };
            /** @description If-None-Match named the current ETag: nothing changed */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
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
            /** @description An unknown region, indicator or dataset, named */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Malformed parameters, each listed in errors */
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
    get_region_api_regions__code__get: {
        parameters: {
            query?: {
                /** @description json (default), csv, chartjs (Chart.js data object), geojson (polygons with the values as properties) or topojson (municipal and ward maps), where the route offers it */
                format?: string | null;
            };
            header?: never;
            path: {
                code: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The answer, in the format asked for (json, csv, chartjs, geojson, topojson). Carries ETag, Cache-Control and X-Cache (HIT, MISS or BYPASS when Redis is down). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/geo+json": unknown;
                    "application/json": unknown;
                    "application/topo+json": unknown;
                    "text/csv": unknown;
                };
            };
            /** @description If-None-Match named the current ETag: nothing changed */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
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
            /** @description An unknown region, indicator or dataset, named */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Malformed parameters, each listed in errors */
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
    correlation_api_statistics_correlation_get: {
        parameters: {
            query?: {
                /** @description First indicator (required) */
                x?: string | null;
                /** @description Second indicator (required) */
                y?: string | null;
                /** @description prefecture (default), municipality or ward */
                level?: string | null;
                /** @description Only regions inside this region (e.g. a prefecture code) */
                parent?: string | null;
                /** @description Region codes instead of a level, comma-separated (at most 2000) */
                regions?: string[] | null;
                /** @description A year: 2020 (calendar or fiscal year, as each source publishes it), CY2020 or FY2020 (only that kind) or an e-Stat year code (2020100000) */
                period?: string | null;
                /** @description json (default), csv, chartjs (Chart.js data object), geojson (polygons with the values as properties) or topojson (municipal and ward maps), where the route offers it */
                format?: string | null;
                /** @description Language of labels in csv, chartjs and geojson output: ja (default) or en */
                lang?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The answer, in the format asked for (json, csv, chartjs, geojson, topojson). Carries ETag, Cache-Control and X-Cache (HIT, MISS or BYPASS when Redis is down). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/geo+json": unknown;
                    "application/json": unknown;
                    "application/topo+json": unknown;
                    "text/csv": unknown;
                };
            };
            /** @description If-None-Match named the current ETag: nothing changed */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
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
            /** @description An unknown region, indicator or dataset, named */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Malformed parameters, each listed in errors */
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
    growth_api_statistics_growth_get: {
        parameters: {
            query?: {
                /** @description Indicator code (required) */
                indicator?: string | null;
                /** @description Region code (required) */
                region?: string | null;
                /** @description First year of a range */
                from?: string | null;
                /** @description Last year of a range */
                to?: string | null;
                /** @description json (default), csv, chartjs (Chart.js data object), geojson (polygons with the values as properties) or topojson (municipal and ward maps), where the route offers it */
                format?: string | null;
                /** @description Language of labels in csv, chartjs and geojson output: ja (default) or en */
                lang?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The answer, in the format asked for (json, csv, chartjs, geojson, topojson). Carries ETag, Cache-Control and X-Cache (HIT, MISS or BYPASS when Redis is down). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/geo+json": unknown;
                    "application/json": unknown;
                    "application/topo+json": unknown;
                    "text/csv": unknown;
                };
            };
            /** @description If-None-Match named the current ETag: nothing changed */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
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
            /** @description An unknown region, indicator or dataset, named */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Malformed parameters, each listed in errors */
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
    moving_average_api_statistics_moving_average_get: {
        parameters: {
            query?: {
                /** @description Indicator code (required) */
                indicator?: string | null;
                /** @description Region code (required) */
                region?: string | null;
                /** @description Years per window, 2-20 (default 3) */
                window?: string | null;
                /** @description First year of a range */
                from?: string | null;
                /** @description Last year of a range */
                to?: string | null;
                /** @description json (default), csv, chartjs (Chart.js data object), geojson (polygons with the values as properties) or topojson (municipal and ward maps), where the route offers it */
                format?: string | null;
                /** @description Language of labels in csv, chartjs and geojson output: ja (default) or en */
                lang?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The answer, in the format asked for (json, csv, chartjs, geojson, topojson). Carries ETag, Cache-Control and X-Cache (HIT, MISS or BYPASS when Redis is down). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/geo+json": unknown;
                    "application/json": unknown;
                    "application/topo+json": unknown;
                    "text/csv": unknown;
                };
            };
            /** @description If-None-Match named the current ETag: nothing changed */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
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
            /** @description An unknown region, indicator or dataset, named */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Malformed parameters, each listed in errors */
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
    distribution_api_statistics_summary_get: {
        parameters: {
            query?: {
                /** @description Indicator code (required) */
                indicator?: string | null;
                /** @description prefecture (default), municipality or ward */
                level?: string | null;
                /** @description Only regions inside this region (e.g. a prefecture code) */
                parent?: string | null;
                /** @description Region codes instead of a level, comma-separated (at most 2000) */
                regions?: string[] | null;
                /** @description A year: 2020 (calendar or fiscal year, as each source publishes it), CY2020 or FY2020 (only that kind) or an e-Stat year code (2020100000) */
                period?: string | null;
                /** @description json (default), csv, chartjs (Chart.js data object), geojson (polygons with the values as properties) or topojson (municipal and ward maps), where the route offers it */
                format?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The answer, in the format asked for (json, csv, chartjs, geojson, topojson). Carries ETag, Cache-Control and X-Cache (HIT, MISS or BYPASS when Redis is down). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/geo+json": unknown;
                    "application/json": unknown;
                    "application/topo+json": unknown;
                    "text/csv": unknown;
                };
            };
            /** @description If-None-Match named the current ETag: nothing changed */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
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
            /** @description An unknown region, indicator or dataset, named */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Malformed parameters, each listed in errors */
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

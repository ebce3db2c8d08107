// Typed clients of the services, generated from their OpenAPI documents (src/api/generated).
import createClient from "openapi-fetch";
import { authorisedFetch } from "../auth/session";
import type { components as AnalyticsComponents, paths as AnalyticsPaths } from "./generated/analytics";
import type { paths as AuthPaths } from "./generated/auth";
import type { components as StatsComponents, paths as StatsPaths } from "./generated/stats";

const options = { baseUrl: location.origin, fetch: authorisedFetch };

// The answers' types are those of the media type the pages ask for: JSON, and GeoJSON for maps
// (the same client at run time; only the answer type differs).
export const authApi = createClient<AuthPaths, "application/json">(options);
export const statsApi = createClient<StatsPaths, "application/json">(options);
export const statsGeoApi = createClient<StatsPaths, "application/geo+json">(options);
export const analyticsApi = createClient<AnalyticsPaths, "application/json">(options);

// The answers' bodies, as the services publish them.
export type StatsSchemas = StatsComponents["schemas"];
export type AnalyticsSchemas = AnalyticsComponents["schemas"];

// An indicator code the population routes accept (a closed set in the stats contract).
export type PopulationIndicator = NonNullable<
  NonNullable<StatsPaths["/api/population"]["get"]["parameters"]["query"]>["indicators"]
>[number];

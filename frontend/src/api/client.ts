// Typed clients of the services, generated from their OpenAPI documents (src/api/generated).
import createClient from "openapi-fetch";
import { authorisedFetch } from "../auth/session";
import type { paths as AnalyticsPaths } from "./generated/analytics";
import type { paths as AuthPaths } from "./generated/auth";
import type { paths as StatsPaths } from "./generated/stats";

const options = { baseUrl: location.origin, fetch: authorisedFetch };

export const authApi = createClient<AuthPaths>(options);
export const statsApi = createClient<StatsPaths>(options);
export const analyticsApi = createClient<AnalyticsPaths>(options);

// An indicator code the population routes accept (a closed set in the stats contract).
export type PopulationIndicator = NonNullable<
  NonNullable<StatsPaths["/api/population"]["get"]["parameters"]["query"]>["indicators"]
>[number];

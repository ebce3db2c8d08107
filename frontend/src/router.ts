import { createRouter, createWebHistory } from "vue-router";
import { signedIn } from "./auth/session";
import DashboardView from "./views/DashboardView.vue";
import LoginView from "./views/LoginView.vue";

// The dashboard is in the first bundle; every other page (the map with MapLibre) loads on visit.
export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: "/login", component: LoginView, meta: { public: true } },
    { path: "/", component: DashboardView },
    { path: "/map", component: () => import("./views/MapView.vue") },
    { path: "/livability", component: () => import("./views/LivabilityView.vue") },
    { path: "/population", component: () => import("./views/PopulationView.vue") },
    { path: "/comparison", component: () => import("./views/ComparisonView.vue") },
    { path: "/policies", component: () => import("./views/PolicyView.vue") },
    { path: "/:rest(.*)*", redirect: "/" },
  ],
});

router.beforeEach((to) => {
  if (!to.meta.public && !signedIn.value) return { path: "/login", query: { next: to.fullPath } };
  if (to.path === "/login" && signedIn.value) return "/";
  return true;
});

/** Subsets are named by role; their `version` label comes from config. */
export const STABLE = "stable";
export const CANARY = "canary";

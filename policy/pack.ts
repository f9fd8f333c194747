/**
 * mesh-traffic's policy pack (CrossGuard): the mesh guardrails a platform team requires on every stack.
 *
 *   pulumi up --policy-pack policy --policy-pack-config policy/config/production.json
 *
 * The rules are policy/rules.ts (pure), wrapped as policies in policy/policies.ts; README "Policy pack". Loaded by
 * policy/index.js (transpile-only).
 */
import { PolicyPack } from "@pulumi/policy";
import { meshPolicies, PACK_NAME } from "./policies";

new PolicyPack(PACK_NAME, { policies: meshPolicies() });

/**
 * The platform stack's `platform` output, which its service stacks read (stacks/index.ts `readPlatformOutput`):
 * one schema types what the platform stack exports (stacks/layout.ts `platformOutputs`) and parses what a service
 * stack reads, so the two cannot drift. Pure.
 */
import { z } from "zod";
import { ROUTING_APIS } from "./schema";
import type { StackOutputContract } from "./stackOutput";

/** The platform stack's output its service stacks read. */
export const PLATFORM_OUTPUT = "platform";

/**
 * The version of the platform output this program writes and reads (an output without one is version 1).
 * Adding or changing a field bumps it: every object is strict, so an older reader would otherwise refuse the new key as
 * damaged; with the bump it says a newer mesh-traffic wrote it and to upgrade.
 */
export const PLATFORM_OUTPUT_VERSION = 1;

/** One gateway root route as the platform stack exports it. */
export const rootRouteSchema = z.strictObject({
    /** `ingress` or `internalGateway`: the config key of the root VirtualService's gateway. */
    gateway: z.enum(["ingress", "internalGateway"]),
    /** Index in `<gateway>.routes`. */
    index: z.number().int().nonnegative(),
    /** URI prefix the root matches ("" when it matches an exact path: `exact`). */
    prefix: z.string(),
    /** The exact path the root matches instead of a prefix (`uri.exact`; Gateway API `Exact`). Absent: `prefix`. */
    exact: z.string().optional(),
    /** The service whose delegate the route delegates to. */
    service: z.string().min(1),
});

export type RootRoute = z.output<typeof rootRouteSchema>;

/** What a platform stack exports (stack output `platform`) for its service stacks to read. */
export const platformOutputSchema = z.strictObject({
    /** {@link PLATFORM_OUTPUT_VERSION}; absent in the outputs of platform stacks brought up before it was written. */
    version: z.literal(PLATFORM_OUTPUT_VERSION).default(PLATFORM_OUTPUT_VERSION),
    layout: z.literal("platform"),
    /** Namespace of every service stack's objects (and of the root VirtualServices). */
    namespace: z.string().min(1),
    /** Every root route of the enabled gateways, in config order. */
    routes: z.array(rootRouteSchema),
    /** Gateway hosts per gateway key (empty when the gateway is disabled). */
    gatewayHosts: z.strictObject({ ingress: z.array(z.string()), internalGateway: z.array(z.string()) }),
    /**
     * `gateway-api` when the platform routes with the Gateway API (absent: Istio's API, as platform stacks exported
     * before the Gateway API mode). Its service stacks must route with the same API.
     */
    routingApi: z.enum(ROUTING_APIS).optional(),
    /**
     * Gateway API only: the namespaces whose HTTPRoutes the ingress Gateway's HTTPS listener admits (the namespaces of
     * the services it serves: the platform's, where service stacks put their objects).
     */
    routeNamespaces: z.array(z.string()).optional(),
    /** Ambient mode (`ambient.enabled`): the namespace's waypoint (empty: none). Absent: sidecar mode. */
    ambient: z.strictObject({ waypoint: z.string() }).optional(),
    /**
     * `HTTP` when the ingress serves plain HTTP only (`ingress.protocol`): a Gateway API service stack attaches its
     * HTTPRoute to the listener `http`. Absent: HTTPS (the listener `https`).
     */
    ingressProtocol: z.literal("HTTP").optional(),
});

/** The platform output as written and as read (the writer's type is the reader's). */
export type PlatformOutputs = z.output<typeof platformOutputSchema>;

/** The platform output's contract: key, schema, version and fixes (contract/stackOutput.ts `parseStackOutput`). */
export const platformOutputContract: StackOutputContract<typeof platformOutputSchema> = {
    key: PLATFORM_OUTPUT,
    what: "a platform output",
    schema: platformOutputSchema,
    version: PLATFORM_OUTPUT_VERSION,
    fix: (stack) =>
        `bring the platform stack ${stack} up again with this version of mesh-traffic (its program writes the output whole: pulumi up --stack ${stack}, ` +
        `or mesh-release env up --env <env>), then this stack`,
    newerFix: (stack) =>
        `run this service stack with the mesh-traffic version that brought ${stack} up (upgrade the package in this project), ` +
        `or bring ${stack} up again with this version first`,
};

/**
 * The zod schema of the stack config (every key in the `mesh-traffic:` namespace), one definition for the
 * Pulumi program and for `mesh-release`. Field names follow Istio's CRD schema (networking.istio.io/v1) where
 * the value ends up in an Istio object: `outlierDetection`, not the seed's `circuitBreaker`; `tcpKeepalive`,
 * not `keepAlive`. docs/config.md documents every key; Pulumi.yaml declares the top-level ones with the same
 * defaults (a unit test keeps the three in step).
 *
 * This file is the shape and the per-field ranges only. Rules across fields and Istio's value rules
 * (durations of at least 1ms, RE2 regexes, hosts) live in stacks/rules.ts.
 */
import { z } from "zod";
import { releaseSchema, rolloutsSchema } from "../release/config";

const intRange = (min: number, max: number) =>
    z
        .number({ error: `must be an integer from ${min} to ${max}` })
        .int({ error: `must be an integer from ${min} to ${max}` })
        .min(min, { error: `must be an integer from ${min} to ${max}` })
        .max(max, { error: `must be an integer from ${min} to ${max}` });

/** A count Istio stores as int32 (connections, requests, retries, probes). */
const count = (min = 1) => intRange(min, 2147483647);

const percent = z
    .number({ error: "must be a number from 0 to 100" })
    .min(0, { error: "must be a number from 0 to 100" })
    .max(100, { error: "must be a number from 0 to 100" });

/** Go-style duration; the exact rule (Go syntax, at least 1ms) is checked in rules.ts with Istio's semantics. */
const duration = z.string({ error: 'must be a Go-style duration string such as "30s"' });

const port = intRange(1, 65535);

/** Kubernetes label value / version: what the `version` label and the Deployment name suffix accept. */
const version = z
    .string({ error: "must be a version label such as \"v1\"" })
    .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, {
        error: "must be a lower-case version label such as \"v1\" or \"1-2-0\" (letters, digits, '-', '.')",
    })
    .max(40, { error: "must be at most 40 characters (it becomes part of the Deployment name)" });

const dnsLabel = z
    .string({ error: "must be a DNS label such as \"mesh-dev\"" })
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, {
        error: "must be a DNS label: lower-case letters, digits and '-', starting and ending with a letter or digit",
    })
    .max(63, { error: "must be at most 63 characters" });

const labels = z.record(z.string(), z.string({ error: "must be a string label value" }));

/** Istio `StringMatch`: exactly one of exact, prefix, regex (RE2). */
const stringMatch = z.strictObject({
    exact: z.string().optional(),
    prefix: z.string().optional(),
    regex: z.string().optional(),
});

// ---------------------------------------------------------------------------------------------
// Circuit breaker: Istio TrafficPolicy fields.

const loadBalancer = z.strictObject({
    /** LEAST_CONN is accepted and emitted as LEAST_REQUEST with a warning (Istio deprecated it). */
    simple: z.enum(["ROUND_ROBIN", "LEAST_REQUEST", "LEAST_CONN", "RANDOM", "PASSTHROUGH"]).optional(),
    consistentHash: z
        .strictObject({
            httpHeaderName: z.string().min(1).optional(),
            httpCookie: z
                .strictObject({ name: z.string().min(1), path: z.string().optional(), ttl: duration.optional() })
                .optional(),
            useSourceIp: z.boolean().optional(),
            httpQueryParameterName: z.string().min(1).optional(),
        })
        .optional(),
});

const connectionPool = z.strictObject({
    tcp: z
        .strictObject({
            maxConnections: count().optional(),
            connectTimeout: duration.optional(),
            tcpKeepalive: z
                .strictObject({ time: duration.optional(), interval: duration.optional(), probes: count().optional() })
                .optional(),
        })
        .optional(),
    http: z
        .strictObject({
            http1MaxPendingRequests: count().optional(),
            http2MaxRequests: count().optional(),
            maxRequestsPerConnection: count(0).optional(),
            maxRetries: count(0).optional(),
            idleTimeout: duration.optional(),
            h2UpgradePolicy: z.enum(["DEFAULT", "DO_NOT_UPGRADE", "UPGRADE"]).optional(),
        })
        .optional(),
});

const outlierDetection = z.strictObject({
    consecutive5xxErrors: count(0).optional(),
    consecutiveGatewayErrors: count(0).optional(),
    interval: duration.optional(),
    baseEjectionTime: duration.optional(),
    maxEjectionPercent: intRange(0, 100).optional(),
    minHealthPercent: intRange(0, 100).optional(),
    splitExternalLocalOriginErrors: z.boolean().optional(),
});

export const trafficPolicySchema = z.strictObject({
    loadBalancer: loadBalancer.optional(),
    connectionPool: connectionPool.optional(),
    outlierDetection: outlierDetection.optional(),
    /** Client TLS towards the service; ISTIO_MUTUAL uses the mesh certificates (no TLS material in config). */
    tls: z.strictObject({ mode: z.enum(["DISABLE", "ISTIO_MUTUAL"]) }).optional(),
});
export type TrafficPolicyConfig = z.infer<typeof trafficPolicySchema>;

// ---------------------------------------------------------------------------------------------
// One service. Field names are CanaryArgs' (components/canary.ts) so a problem the component's plan
// reports at `canary.weight` is `services.<svc>.canary.weight` in config.

const workloadVersion = {
    /** Replicas of this version's Deployment. Default: the service's `replicas`. */
    replicas: intRange(0, 1000).optional(),
    /** Image of this version. Default: the service's `image` with `{version}` replaced. */
    image: z.string().min(1).optional(),
    /** Per-subset override of the host-wide trafficPolicy. */
    trafficPolicy: trafficPolicySchema.optional(),
};

const headerName = z.string().min(1);

export const faultsSchema = z.strictObject({
    /** Delay `percentage` percent of requests by `fixedDelay`. */
    delay: z.strictObject({ percentage: percent, fixedDelay: duration }).optional(),
    /** Abort `percentage` percent of requests with `httpStatus` (200..599). */
    abort: z.strictObject({ percentage: percent, httpStatus: intRange(200, 599) }).optional(),
    /** Only requests with this header (exact value) get faults, e.g. { name: test-fault, value: "true" }. */
    header: z.strictObject({ name: headerName, value: z.string() }).optional(),
});
export type FaultsConfig = z.infer<typeof faultsSchema>;

export const serviceSchema = z.strictObject({
    /** Service port, also the destination port of gateway routes to this service. Default 8080. */
    port: port.default(8080),
    /** Container port. Default: `port`. */
    targetPort: port.optional(),
    /** Container image; `{version}` is replaced by the version label. */
    image: z.string({ error: 'must be a container image such as "ghcr.io/org/app:{version}"' }).min(1),
    /** Replicas per version. Default 1. */
    replicas: intRange(0, 1000).default(1),
    /** Hosts of the mesh VirtualService. Default: [the service name]. */
    hosts: z.array(z.string()).optional(),
    stable: z.strictObject({ version, ...workloadVersion }),
    canary: z
        .strictObject({
            /** Version label of the `canary` subset; absent = no canary subset and no canary routes. */
            version: version.optional(),
            /** Percent of the catch-all route sent to the canary; stable gets 100 - weight. Default 0. */
            weight: intRange(0, 100).default(0),
            /** false: the canary stays deployed and in the DestinationRule, but no route sends traffic to it. */
            routed: z.boolean().default(true),
            ...workloadVersion,
        })
        .prefault({}),
    /** Host-wide circuit breaker / load balancing: the one DestinationRule of the host. */
    trafficPolicy: trafficPolicySchema.optional(),
    /**
     * Requests that match go to the canary, first: `{ header, exact | prefix | regex }` or
     * `{ cookie, value }` (a regex on the `cookie` header: Istio has no cookie matcher).
     */
    pins: z
        .array(
            z.strictObject({
                header: headerName.optional(),
                ...stringMatch.shape,
                cookie: z.string().min(1).optional(),
                value: z.string().optional(),
            }),
        )
        .default([]),
    /** A/B flag: requests with header `<header>: <value>` or cookie `<cookie>=<value>` go to the canary. */
    abTest: z
        .strictObject({ header: headerName.optional(), cookie: z.string().min(1).optional(), value: z.string().min(1).optional() })
        .optional(),
    /** Prefix redirects, before the URI routes. */
    redirects: z
        .array(z.strictObject({ prefix: z.string(), uri: z.string(), redirectCode: intRange(300, 399).optional() }))
        .default([]),
    /** URI-prefix routes to a subset (`stable`, `canary`) or an explicit split, optionally rewriting. */
    uriRoutes: z
        .array(
            z.strictObject({
                prefix: z.string(),
                subset: z.string().optional(),
                weights: z.record(z.string(), intRange(0, 100)).optional(),
                rewrite: z.string().optional(),
            }),
        )
        .default([]),
    /** Mirror `percentage` percent of catch-all traffic to the canary. */
    mirror: z.strictObject({ percentage: percent }).optional(),
    /** Timeout of every forwarding route (Go duration). */
    timeout: duration.optional(),
    retries: z
        .strictObject({ attempts: intRange(0, 100), perTryTimeout: duration.optional(), retryOn: z.string().optional() })
        .optional(),
    /** Fault injection on this service's mesh routes; absent = off. */
    faults: faultsSchema.optional(),
});
export type ServiceConfig = z.infer<typeof serviceSchema>;

// ---------------------------------------------------------------------------------------------
// Gateways.

const gatewayRoute = z.strictObject({
    /** URI prefix, starting with "/"; most specific first, "/" last. */
    prefix: z.string(),
    /** A key of `services`; the route goes to that service's port, weighted like its mesh catch-all. */
    service: z.string().min(1),
});

export const ingressSchema = z.strictObject({
    /** Create the ingress Gateway and its VirtualService. Default false. */
    enabled: z.boolean().default(false),
    /** Pod labels of the gateway deployment. Default { istio: ingressgateway }. */
    selector: labels.default({ istio: "ingressgateway" }),
    /** Public hosts. Required when enabled. */
    hosts: z.array(z.string()).default([]),
    /** TLS of the HTTPS port (required when enabled); port 80 redirects to it. */
    tls: z
        .strictObject({
            mode: z.enum(["SIMPLE", "MUTUAL"]),
            /** Name of the Kubernetes TLS Secret the gateway reads; key material is never in config. */
            credentialName: z.string().optional(),
        })
        .optional(),
    /** HTTP port (redirects to HTTPS). Default 80. */
    httpPort: port.default(80),
    /** HTTPS port. Default 443. */
    httpsPort: port.default(443),
    /** Prefix routes, first match wins. */
    routes: z.array(gatewayRoute).default([]),
});
export type IngressConfig = z.infer<typeof ingressSchema>;

export const internalGatewaySchema = z.strictObject({
    /** Create the internal Gateway. Default false. */
    enabled: z.boolean().default(false),
    /** Pod labels of the internal gateway deployment. Default { istio: internalgateway }. */
    selector: labels.default({ istio: "internalgateway" }),
    /** Hosts reachable through it from other namespaces, e.g. ["*.mesh-dev.svc.cluster.local"]. */
    hosts: z.array(z.string()).default([]),
    /** HTTP port. Default 80. */
    port: port.default(80),
    /** Prefix routes of a bound VirtualService; empty = Gateway only. */
    routes: z.array(gatewayRoute).default([]),
});
export type InternalGatewayConfig = z.infer<typeof internalGatewaySchema>;

export const egressSchema = z.strictObject({
    /** External host, e.g. api.external-service.com (no wildcard). */
    host: z.string().min(1),
    /** TLS port of the host. Default 443. */
    port: port.default(443),
});
export type EgressConfig = z.infer<typeof egressSchema>;

export const egressGatewaySchema = z.strictObject({
    /** Pod labels of the egress gateway. Default { istio: egressgateway }. */
    selector: labels.default({ istio: "egressgateway" }),
    /** Host of the egress gateway's Service. */
    gatewayService: z.string().min(1).default("istio-egressgateway.istio-system.svc.cluster.local"),
    /** A namespace Sidecar with outboundTrafficPolicy REGISTRY_ONLY: only registered hosts are reachable. */
    registryOnly: z.boolean().default(false),
});
export type EgressGatewayConfig = z.infer<typeof egressGatewaySchema>;

// ---------------------------------------------------------------------------------------------
// The whole stack.

export const stackConfigSchema = z.strictObject({
    /** Namespace of every object. */
    namespace: dnsLabel.default("mesh-traffic"),
    /** Create the namespace (with `istio-injection: enabled`). */
    createNamespace: z.boolean().default(true),
    /** `pulumi.com/skipAwait` on workloads, for a control plane without controllers. */
    skipAwait: z.boolean().default(false),
    ingress: ingressSchema.prefault({}),
    internalGateway: internalGatewaySchema.prefault({}),
    services: z.record(dnsLabel, serviceSchema).default({}),
    /** External hosts reached through the egress gateway (TLS passthrough). */
    egress: z.array(egressSchema).default([]),
    egressGateway: egressGatewaySchema.prefault({}),
    release: releaseSchema.prefault({}),
    rollouts: rolloutsSchema.default({}),
});
export type StackConfig = z.infer<typeof stackConfigSchema>;

/** Top-level keys, in the order docs/config.md and Pulumi.yaml list them. */
export const STACK_CONFIG_KEYS = Object.keys(stackConfigSchema.shape) as (keyof StackConfig)[];

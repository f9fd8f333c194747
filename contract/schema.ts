/**
 * The zod schema of the stack config (every key in the `mesh-traffic:` namespace), one definition for the
 * Pulumi program and for `mesh-release`. Field names follow Istio's CRD schema (networking.istio.io/v1) where
 * the value ends up in an Istio object: `outlierDetection`, not the seed's `circuitBreaker`; `tcpKeepalive`,
 * not `keepAlive`.
 *
 * Every field carries its user-facing description (default, unit, effect) as `.meta({ description })`, the one
 * place it is written: scripts/config-docs.ts generates docs/config.md from it with `z.toJSONSchema`, and
 * Pulumi.yaml declares the top-level keys with the same descriptions and defaults
 * (test/unit/stacks/configDocs.test.ts keeps the three in step and fails on a field without a description).
 * Shared building blocks (`duration`, `port`, `version`, ...) carry no description on purpose: a field that
 * uses one must say what it is.
 *
 * This file is the shape and the per-field ranges only, part of the contract between the two programs (contract/:
 * no I/O, no Pulumi SDK). Rules across fields live in stacks/rules.ts (the release policy's in
 * contract/releaseRules.ts, shared with mesh-release); Istio's value rules (durations of at least 1ms, RE2
 * regexes, hosts, retry conditions) live in the components' pure plans (components/validation.ts, routes.ts),
 * which stacks/config.ts runs and reports at config paths.
 */
import { z } from "zod";
import { durationSchema, releaseSchema, rolloutsSchema } from "./release";
import { ISTIO_REFERENCE, ROUTING_KEYS, ROUTING_KINDS, type RoutingKind } from "./istioKinds";
import { lazySpecSchema } from "./istioSpec";
import { SECRET_NAME, SECRET_NAME_RULE } from "./secrets";

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

/**
 * Go-style duration: Go's grammar here (a number without a unit is told it needs one); Istio's minimum (1ms) is
 * checked by the components' plans (components/validation.ts checkDuration).
 */
const duration = durationSchema('must be a Go-style duration such as "500ms", "30s" or "1m30s" (units h, m, s, ms, us, ns)');

/** The name of a Kubernetes Secret (a gateway's credentialName): never the key material itself. */
const secretName = z
    .string({ error: SECRET_NAME_RULE })
    .max(253, { error: SECRET_NAME_RULE })
    .regex(SECRET_NAME, { error: SECRET_NAME_RULE });

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
    exact: z.string().optional().meta({ description: "Header pin: the header value equals this. Set one of exact, prefix, regex." }),
    prefix: z.string().optional().meta({ description: "Header pin: the header value starts with this. Set one of exact, prefix, regex." }),
    regex: z
        .string()
        .optional()
        .meta({ description: "Header pin: the header value matches this RE2 regex. Set one of exact, prefix, regex." }),
});

// ---------------------------------------------------------------------------------------------
// Circuit breaker: Istio TrafficPolicy fields.

const loadBalancer = z.strictObject({
    simple: z
        .enum(["ROUND_ROBIN", "LEAST_REQUEST", "LEAST_CONN", "RANDOM", "PASSTHROUGH"])
        .optional()
        .meta({
            description:
                "Load-balancing algorithm. LEAST_CONN is accepted and emitted as LEAST_REQUEST with a warning (Istio " +
                "deprecated it). Set simple or consistentHash, not both. Unset: Istio's default.",
        }),
    consistentHash: z
        .strictObject({
            httpHeaderName: z
                .string()
                .min(1)
                .optional()
                .meta({ description: "Hash on this HTTP request header. Set exactly one hash key." }),
            httpCookie: z
                .strictObject({
                    name: z.string().min(1).meta({ description: "Name of the cookie." }),
                    path: z.string().optional().meta({ description: "Path of the cookie." }),
                    ttl: duration.optional().meta({ description: "Lifetime of the cookie, Go duration (e.g. 1h)." }),
                })
                .optional()
                .meta({ description: "Hash on this HTTP cookie. Set exactly one hash key." }),
            useSourceIp: z.boolean().optional().meta({ description: "Hash on the source IP address. Set exactly one hash key." }),
            httpQueryParameterName: z
                .string()
                .min(1)
                .optional()
                .meta({ description: "Hash on this HTTP query parameter. Set exactly one hash key." }),
        })
        .optional()
        .meta({ description: "Session affinity: consistent hashing on exactly one request attribute." }),
});

const connectionPool = z.strictObject({
    tcp: z
        .strictObject({
            maxConnections: count()
                .optional()
                .meta({ description: "Maximum HTTP/1 and TCP connections to a destination host. Unset: Istio's default (2^32-1)." }),
            connectTimeout: duration
                .optional()
                .meta({ description: "TCP connect timeout, Go duration of at least 1ms. Unset: Istio's default (10s)." }),
            tcpKeepalive: z
                .strictObject({
                    time: duration.optional().meta({
                        description: "Idle time before keep-alive probes start, Go duration. Unset: the OS setting.",
                    }),
                    interval: duration.optional().meta({
                        description: "Time between keep-alive probes, Go duration. Unset: the OS setting.",
                    }),
                    probes: count()
                        .optional()
                        .meta({ description: "Unanswered probes before the connection is dropped. Unset: the OS setting." }),
                })
                .optional()
                .meta({ description: "Set SO_KEEPALIVE on upstream connections (TCP keep-alive)." }),
        })
        .optional()
        .meta({ description: "Limits common to TCP and HTTP upstream connections." }),
    http: z
        .strictObject({
            http1MaxPendingRequests: count()
                .optional()
                .meta({ description: "Maximum requests queued while waiting for a connection. Unset: Istio's default (2^32-1)." }),
            http2MaxRequests: count()
                .optional()
                .meta({ description: "Maximum active requests to a destination. Unset: Istio's default (2^32-1)." }),
            maxRequestsPerConnection: count(0)
                .optional()
                .meta({ description: "Maximum requests per upstream connection; 1 disables keep-alive, 0 means unlimited." }),
            maxRetries: count(0)
                .optional()
                .meta({ description: "Maximum retries outstanding to all hosts at a time. Unset: Istio's default (2^32-1)." }),
            idleTimeout: duration
                .optional()
                .meta({
                    description:
                        "Close an upstream connection idle (no active request) this long, Go duration. Unset: Istio's default (1h).",
                }),
            h2UpgradePolicy: z
                .enum(["DEFAULT", "DO_NOT_UPGRADE", "UPGRADE"])
                .optional()
                .meta({ description: "Whether HTTP/1.1 connections to the destination are upgraded to HTTP/2." }),
        })
        .optional()
        .meta({ description: "HTTP connection pool limits." }),
});

const outlierDetection = z.strictObject({
    consecutive5xxErrors: count(0)
        .optional()
        .meta({ description: "Consecutive 5xx responses before a host is ejected; 0 disables this check. Unset: Istio's default (5)." }),
    consecutiveGatewayErrors: count(0)
        .optional()
        .meta({ description: "Consecutive gateway errors (502, 503, 504) before a host is ejected; 0 disables this check." }),
    interval: duration
        .optional()
        .meta({ description: "Time between ejection sweeps, Go duration. Unset: Istio's default (10s)." }),
    baseEjectionTime: duration.optional().meta({
        description:
            "Minimum ejection time, Go duration; a host stays out this long times the number of its ejections. " +
            "Unset: Istio's default (30s).",
    }),
    maxEjectionPercent: intRange(0, 100)
        .optional()
        .meta({ description: "Maximum percent of the load-balancing pool that can be ejected. Unset: Istio's default (10)." }),
    minHealthPercent: intRange(0, 100).optional().meta({
        description: "Outlier detection runs only while at least this percent of the pool is healthy. Unset: Istio's default (0).",
    }),
    splitExternalLocalOriginErrors: z.boolean().optional().meta({
        description: "Count local-origin failures (connect timeouts, resets) apart from errors returned by the host.",
    }),
});

export const trafficPolicySchema = z.strictObject({
    loadBalancer: loadBalancer.optional().meta({ description: "Load balancing: a simple algorithm or consistent hashing." }),
    connectionPool: connectionPool.optional().meta({ description: "Connection pool limits (the circuit breaker's volume limits)." }),
    outlierDetection: outlierDetection
        .optional()
        .meta({ description: "Eject hosts that keep failing from the load-balancing pool (the circuit breaker)." }),
    tls: z
        .strictObject({
            mode: z.enum(["DISABLE", "ISTIO_MUTUAL"]).meta({
                description: "DISABLE: plain text. ISTIO_MUTUAL: mutual TLS with the mesh certificates.",
            }),
        })
        .optional()
        .meta({ description: "Client TLS towards the service; no TLS material is ever in config." }),
});
export type TrafficPolicyConfig = z.infer<typeof trafficPolicySchema>;

// ---------------------------------------------------------------------------------------------
// One service. Field names are CanaryArgs' (components/canary.ts) so a problem the component's plan
// reports at `canary.weight` is `services.<svc>.canary.weight` in config.

const workloadVersion = {
    replicas: intRange(0, 1000)
        .optional()
        .meta({ description: "Replicas of this version's Deployment. Default: the service's `replicas`." }),
    image: z
        .string()
        .min(1)
        .optional()
        .meta({ description: "Image of this version. Default: the service's `image` with `{version}` replaced." }),
    trafficPolicy: trafficPolicySchema
        .optional()
        .meta({ description: "Traffic policy of this subset, overriding the host-wide `trafficPolicy`." }),
};

const headerName = z.string().min(1);

export const faultsSchema = z.strictObject({
    delay: z
        .strictObject({
            percentage: percent.meta({ description: "Percent of requests delayed (0..100, fractions allowed)." }),
            fixedDelay: duration.meta({ description: "Added delay, Go duration of at least 1ms (e.g. 5s)." }),
        })
        .optional()
        .meta({ description: "Delay `percentage` percent of requests by `fixedDelay`." }),
    abort: z
        .strictObject({
            percentage: percent.meta({ description: "Percent of requests aborted (0..100, fractions allowed)." }),
            httpStatus: intRange(200, 599).meta({ description: "HTTP status returned instead of forwarding (200..599)." }),
        })
        .optional()
        .meta({ description: "Abort `percentage` percent of requests with `httpStatus`." }),
    header: z
        .strictObject({
            name: headerName.meta({ description: "Header name, lower-case." }),
            value: z.string().meta({ description: "Exact header value." }),
        })
        .optional()
        .meta({
            description:
                'Only requests with this header (exact value) get faults, e.g. { name: test-fault, value: "true" }; ' +
                "they get a route of their own, first. Absent: faults apply to every request.",
        }),
});
export type FaultsConfig = z.infer<typeof faultsSchema>;

/** Which waypoint serves a service in ambient mode: see {@link serviceSchema}'s `waypoint`. */
export const WAYPOINT_CHOICES = ["namespace", "own"] as const;

/** What a waypoint proxies (Istio's label istio.io/waypoint-for). */
export const WAYPOINT_FOR = ["service", "workload", "all"] as const;

export const serviceSchema = z
    .strictObject({
        port: port
            .default(8080)
            .meta({ description: "Service port, also the destination port of gateway routes to this service." }),
        targetPort: port.optional().meta({ description: "Container port. Default: `port`." }),
        image: z
            .string({ error: 'must be a container image such as "ghcr.io/org/app:{version}"' })
            .min(1)
            .optional()
            .meta({ description: "Container image; `{version}` is replaced by the version label, e.g. ghcr.io/org/app:{version}. Required unless `deploy` is false." }),
        deploy: z.boolean().default(true).meta({
            description:
                "false: the workloads are deployed elsewhere (Helm, another stack): no Deployments and no Service are made here. " +
                "The pods must carry the labels app=<svc> and version=<each subset's version>, and a Service named <svc> must select " +
                "them; subsets, routes, the canary and releases work as usual.",
        }),
        replicas: intRange(0, 1000).default(1).meta({ description: "Replicas per version." }),
        hosts: z
            .array(z.string())
            .optional()
            .meta({ description: "Hosts of the mesh VirtualService (each host belongs to one service). Default: [the service name]." }),
        stable: z
            .strictObject({
                version: version.meta({
                    description: "Version label of the `stable` subset; also the Deployment name suffix (`<svc>-<version>`).",
                }),
                ...workloadVersion,
            })
            .meta({ description: "The stable version: its subset and Deployment." }),
        canary: z
            .strictObject({
                version: version.optional().meta({
                    description:
                        "Version label of the `canary` subset; absent = no canary subset and no canary routes. Must differ " +
                        "from `stable.version`.",
                }),
                weight: intRange(0, 100)
                    .default(0)
                    .meta({ description: "Percent of the catch-all route sent to the canary; stable gets 100 - weight." }),
                routed: z.boolean().default(true).meta({
                    description:
                        "false: the canary stays deployed and in the DestinationRule, but no route sends traffic to it " +
                        "(weight must then be 0).",
                }),
                sessionAffinity: z
                    .strictObject({
                        cookieName: z.string().min(1).optional().meta({
                            description:
                                "Name of the cookie that pins a session to its version (an HTTP token). Default `canary-<service>`; " +
                                "two services of one stack need two names (a browser keeps one cookie per name and path).",
                        }),
                        maxAge: duration.default("24h").meta({
                            description:
                                "Max-Age of the cookie, a Go duration of whole seconds (at least 1s). Every response of a pinned session " +
                                "renews it, so a session idle longer than this is drawn again by the split.",
                        }),
                    })
                    .optional()
                    .meta({
                        description:
                            "Sticky canary sessions: while the canary takes a share of the split, the version that served a session's " +
                            "first request serves the rest (a cookie each version's route sets, matched by routes before the split). " +
                            "The cookie names the release (`revision`), so it stops mattering at promotion and rollback. Absent: off.",
                    }),
                revision: z
                    .string()
                    .optional()
                    .meta({
                        description:
                            "The release of the canary that the session-affinity cookies name (lower-case letters, digits, '-'; at most " +
                            "32): a new release never matches an old release's cookie. Written by mesh-release when a rollout starts. " +
                            "Default: the canary version.",
                    }),
                ...workloadVersion,
            })
            .prefault({})
            .meta({ description: "The canary version: its subset, Deployment and share of traffic (set by mesh-release)." }),
        trafficPolicy: trafficPolicySchema
            .optional()
            .meta({ description: "Host-wide circuit breaker / load balancing: the one DestinationRule of the host." }),
        pins: z
            .array(
                z
                    .strictObject({
                        header: headerName.optional().meta({ description: "Header pin: header name, lower-case." }),
                        ...stringMatch.shape,
                        cookie: z.string().min(1).optional().meta({ description: "Cookie pin: cookie name." }),
                        value: z.string().optional().meta({ description: "Cookie pin: cookie value." }),
                    })
                    .meta({
                        description:
                            "One pin: `{ header, exact | prefix | regex }` or `{ cookie, value }` (a regex on the `cookie` " +
                            "header: Istio has no cookie matcher).",
                    }),
            )
            .default([])
            .meta({
                description:
                    "Requests that match a pin go to the canary while it is routed; pins are the first routes (after a " +
                    "header-only fault route).",
            }),
        abTest: z
            .strictObject({
                header: headerName.optional().meta({ description: "Flag header name, e.g. x-new-feature. Set header, cookie or both." }),
                cookie: z.string().min(1).optional().meta({ description: "Flag cookie name, e.g. new-feature." }),
                value: z.string().min(1).optional().meta({ description: 'Flag value. Default "enabled".' }),
            })
            .optional()
            .meta({
                description:
                    "A/B flag: requests with header `<header>: <value>` or cookie `<cookie>=<value>` go to the canary " +
                    "while it is routed; the rest follow the weighted catch-all.",
            }),
        redirects: z
            .array(
                z
                    .strictObject({
                        prefix: z.string().meta({ description: 'URI prefix, starting with "/".' }),
                        uri: z.string().meta({ description: "Target URI of the redirect." }),
                        redirectCode: intRange(300, 399).optional().meta({ description: "3xx status: 301, 302, 303, 307 or 308 (the codes istiod translates). Default 301." }),
                    })
                    .meta({ description: "Answer a URI prefix with an HTTP redirect." }),
            )
            .default([])
            .meta({ description: "Prefix redirects, before the URI routes." }),
        uriRoutes: z
            .array(
                z
                    .strictObject({
                        prefix: z.string().meta({ description: 'URI prefix, starting with "/".' }),
                        subset: z.string().optional().meta({
                            description: "Subset that receives the traffic (`stable` or `canary`). Default: the catch-all split.",
                        }),
                        weights: z.record(z.string(), intRange(0, 100)).optional().meta({
                            description: "Explicit split by subset name, integer percent summing to 100. Excludes `subset`.",
                        }),
                        rewrite: z
                            .string()
                            .optional()
                            .meta({ description: "Rewrite the matched prefix to this URI before forwarding. Default: no rewrite." }),
                    })
                    .meta({ description: "Send a URI prefix to one subset or an explicit split, optionally rewriting it." }),
            )
            .default([])
            .meta({ description: "URI-prefix routes, after the redirects and before the catch-all." }),
        mirror: z
            .strictObject({
                percentage: percent.meta({ description: "Percent of catch-all requests mirrored (0..100, fractions allowed)." }),
            })
            .optional()
            .meta({
                description:
                    "Mirror `percentage` percent of catch-all traffic to the canary while it is routed (mirrored responses " +
                    "are discarded).",
            }),
        timeout: duration
            .optional()
            .meta({ description: "Timeout of every forwarding route, Go duration (e.g. 10s). Default: Istio's (none)." }),
        retries: z
            .strictObject({
                attempts: intRange(0, 100).meta({ description: "Attempts, 0..100 (0 disables retries)." }),
                perTryTimeout: duration
                    .optional()
                    .meta({ description: "Timeout per attempt, Go duration. Default: Istio's (the route timeout)." }),
                retryOn: z.string().optional().meta({
                    description: "Envoy retry conditions, comma-separated, e.g. 5xx,reset,connect-failure,refused-stream.",
                }),
            })
            .optional()
            .meta({ description: "Retry policy of every forwarding route. Default: Istio's (2 attempts)." }),
        faults: faultsSchema.optional().meta({ description: "Fault injection on this service's routes (mesh and gateway traffic); absent = off." }),
        waypoint: z.enum(WAYPOINT_CHOICES).default("namespace").meta({
            description:
                "Ambient mode (`ambient.enabled`, routingApi gateway-api): which waypoint serves this service's L7 routes. namespace: " +
                "the namespace's (`ambient.waypoint`, the platform's in a service stack). own: a waypoint of its own, Gateway " +
                "<svc>-waypoint of class istio-waypoint, and the label istio.io/use-waypoint on the service's Services.",
        }),
    })
    .meta({ description: "One service: a Deployment per version, a Service, one DestinationRule and a mesh VirtualService." });
export type ServiceConfig = z.infer<typeof serviceSchema>;

// ---------------------------------------------------------------------------------------------
// Gateways.

const gatewayRoute = z
    .strictObject({
        prefix: z.string().optional().meta({
            description: 'URI prefix, starting with "/"; most specific first, "/" last. Exactly one of prefix and exact.',
        }),
        exact: z.string().optional().meta({
            description:
                'One exact path, starting with "/" (Istio `uri.exact`; Gateway API `path.type: Exact`), e.g. "/productpage". Exactly one ' +
                "of prefix and exact. The service's pins, A/B flag, faults and weighted catch-all apply on that path; a redirect or URI " +
                "route of the service whose prefix covers it is refused (a gateway route on one path cannot carry a prefix route).",
        }),
        service: z.string().min(1).meta({
            description:
                "A key of `services` (in a platform stack, a service of a service stack). Traffic under `prefix` (or on `exact`) gets " +
                "that service's routes as mesh traffic does (pins, A/B flag, faults, redirects, URI routes, retries, " +
                "timeout, mirror, weighted catch-all). A redirect or URI route outside `prefix` is unreachable here: a " +
                "single stack leaves it out with a warning, a service stack is refused.",
        }),
    })
    .meta({
        description:
            "One route: a URI prefix or an exact path to a service, carrying its routes (in a platform stack, delegating to the " +
            "service's delegate VirtualService).",
    });

/** How the ingress serves: HTTPS (TLS, HTTP redirected to it) or plain HTTP. */
export const INGRESS_PROTOCOLS = ["HTTPS", "HTTP"] as const;

export const ingressSchema = z.strictObject({
    enabled: z.boolean().default(false).meta({ description: "Create the ingress Gateway and its VirtualService." }),
    selector: labels.default({ istio: "ingressgateway" }).meta({ description: "Pod labels of the gateway deployment." }),
    protocol: z.enum(INGRESS_PROTOCOLS).default("HTTPS").meta({
        description:
            "HTTPS: an HTTPS server on httpsPort with `tls`, and httpPort redirecting to it. HTTP: one plain-HTTP server on " +
            'httpPort and no TLS (tls and httpsPort refused), e.g. for a gateway behind a TLS-terminating load balancer or for hosts ["*"]. ' +
            "The policy pack's ingress-tls policy refuses plain HTTP where it is enforced.",
    }),
    hosts: z.array(z.string()).default([]).meta({
        description:
            'Public hosts. Required when enabled. ["*"]: any host (with routingApi gateway-api, "*" alone: the HTTPRoutes name no hostname).',
    }),
    tls: z
        .strictObject({
            mode: z
                .enum(["SIMPLE", "MUTUAL"])
                .meta({ description: "SIMPLE: server TLS. MUTUAL: clients must present a certificate too." }),
            credentialName: secretName.optional().meta({
                description:
                    "Name of the Kubernetes TLS Secret the gateway reads; key material is never in config. Required when enabled.",
            }),
        })
        .optional()
        .meta({ description: "TLS of the HTTPS port (required when enabled with protocol HTTPS; refused with HTTP); the HTTP port redirects to it." }),
    httpPort: port.default(80).meta({ description: "HTTP port (protocol HTTPS: redirects to HTTPS; HTTP: the one port served)." }),
    httpsPort: port.optional().meta({ description: "HTTPS port. Default 443 (protocol HTTPS); refused with protocol HTTP." }),
    routes: z.array(gatewayRoute).default([]).meta({ description: "Routes to services by URI prefix or exact path, first match wins." }),
});
export type IngressConfig = z.infer<typeof ingressSchema>;

export const internalGatewaySchema = z.strictObject({
    enabled: z.boolean().default(false).meta({ description: "Create the internal Gateway." }),
    selector: labels
        .default({ istio: "internalgateway" })
        .meta({ description: "Pod labels of the internal gateway deployment." }),
    hosts: z
        .array(z.string())
        .default([])
        .meta({ description: 'Hosts reachable through it from other namespaces, e.g. ["*.mesh-dev.svc.cluster.local"].' }),
    port: port.default(80).meta({ description: "HTTP port." }),
    routes: z
        .array(gatewayRoute)
        .default([])
        .meta({ description: "Routes (URI prefix or exact path) of a bound VirtualService; empty = Gateway only." }),
});
export type InternalGatewayConfig = z.infer<typeof internalGatewaySchema>;

export const egressSchema = z
    .strictObject({
        host: z.string().min(1).meta({ description: "External host, e.g. api.external-service.com (no wildcard)." }),
        port: port.default(443).meta({ description: "TLS port of the host." }),
    })
    .meta({ description: "One external host, reached with TLS passthrough (the app speaks TLS itself)." });
export type EgressConfig = z.infer<typeof egressSchema>;

export const egressGatewaySchema = z.strictObject({
    selector: labels.default({ istio: "egressgateway" }).meta({ description: "Pod labels of the egress gateway." }),
    gatewayService: z
        .string()
        .min(1)
        .default("istio-egressgateway.istio-system.svc.cluster.local")
        .meta({ description: "Host of the egress gateway's Service." }),
    registryOnly: z.boolean().default(false).meta({
        description: "A namespace Sidecar with outboundTrafficPolicy REGISTRY_ONLY: only registered hosts are reachable.",
    }),
});
export type EgressGatewayConfig = z.infer<typeof egressGatewaySchema>;

// ---------------------------------------------------------------------------------------------
// The general traffic model: Istio's own objects, keyed by name, each spec checked against the pinned CRD schema
// (contract/istioSpec.ts) and by the semantic rules of stacks/routingRules.ts.

/** The name of an Istio object: a DNS-1123 subdomain (the samples name objects `bookinfo-gateway`, `reviews`). */
const objectName = z
    .string()
    .max(253, { error: "must be at most 253 characters (a Kubernetes object name)" })
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, {
        error: "must be a Kubernetes object name: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit",
    });

const ROUTING_DESCRIPTIONS: Readonly<Record<RoutingKind, string>> = {
    VirtualService: "hosts, gateways and ordered http, tcp and tls routes with Istio's whole match and action set",
    DestinationRule: "a host's traffic policy (load balancing, connection pool, outlier detection, TLS origination, locality, port-level settings) and named subsets with any labels",
    ServiceEntry: "a host outside the stack (external or deployed elsewhere): ports of any protocol, resolution, addresses, endpoints",
    Gateway: "a gateway's servers (HTTP, HTTPS SIMPLE/MUTUAL/PASSTHROUGH/ISTIO_MUTUAL/AUTO_PASSTHROUGH, TCP, TLS), each with its hosts and credential",
    Sidecar: "the sidecars' egress hosts, ingress listeners and outbound traffic policy",
};

const routingKindSchema = (kind: RoutingKind) =>
    z
        .record(objectName, lazySpecSchema(kind).meta({ istioKind: kind, description: `The spec of one ${kind} (networking.istio.io/v1), field for field as Istio's reference gives it: ${ISTIO_REFERENCE[kind]}` }))
        .default({})
        .meta({
            description:
                `${kind === "ServiceEntry" ? "ServiceEntries" : `${kind}s`} by object name: ${ROUTING_DESCRIPTIONS[kind]}. Each becomes one ${kind} named by its key in the stack's ` +
                `namespace, its spec as written (checked against Istio's CRD schema, unknown fields refused).`,
        });

export const routingSchema = z.strictObject(
    Object.fromEntries(ROUTING_KINDS.map((kind) => [ROUTING_KEYS[kind], routingKindSchema(kind)])) as Record<
        "virtualServices" | "destinationRules" | "serviceEntries" | "gateways" | "sidecars",
        ReturnType<typeof routingKindSchema>
    >,
);
export type RoutingConfig = z.infer<typeof routingSchema>;

// ---------------------------------------------------------------------------------------------
// The whole stack.

/** The API a stack's routes are written in: see {@link stackConfigSchema}'s `routingApi` and stacks/gatewayApi.ts. */
export const ROUTING_APIS = ["istio", "gateway-api"] as const;
export type RoutingApi = (typeof ROUTING_APIS)[number];

/** What a stack holds: see {@link stackConfigSchema}'s `layout` and stacks/layout.ts. */
export const LAYOUTS = ["single", "platform", "service"] as const;
export type Layout = (typeof LAYOUTS)[number];

export const stackConfigSchema = z.strictObject({
    layout: z.enum(LAYOUTS).default("single").meta({
        description:
            "What this stack holds. single: the whole environment (namespace, gateways, every service). platform: the " +
            "environment's namespace, gateways, release defaults and the ingress root VirtualService, whose routes " +
            "delegate to each service's delegate VirtualService; no services. service: exactly one service (its " +
            "Workloads, DestinationRule, delegate and mesh VirtualServices), read against `platformStack`.",
    }),
    platformStack: z
        .string({ error: 'must be a stack name such as "production" or "organization/mesh-traffic/production"' })
        .default("")
        .meta({
            description:
                "layout service only (required there; empty elsewhere): the platform stack of this environment, whose outputs are read " +
                "as a StackReference reads them: its name (`production`, same project and backend) or fully qualified " +
                "(`organization/mesh-traffic/production` on a self-managed backend, `<org>/mesh-traffic/production` on Pulumi Cloud).",
        }),
    routingApi: z.enum(ROUTING_APIS).default("istio").meta({
        description:
            "The API the routes are written in. istio: VirtualServices and Istio Gateways. gateway-api: the Kubernetes " +
            "Gateway API (standard channel v1.6.0): per service an HTTPRoute attached to its Service (GAMMA) and a Service " +
            "per version for the weighted split; the ingress as a Gateway of class istio with HTTPRoutes. DestinationRules " +
            "stay in both. Per-service stacks: the platform stack owns the Gateway, each service stack its HTTPRoutes (all " +
            "stacks of an environment use one API). The internal gateway is a plain-HTTP Gateway with HTTPRoutes, egress a TLS " +
            "passthrough Gateway with TLSRoutes (standard in v1.6.0). gateway-api refuses what its standard channel cannot say " +
            "(faults, retries, extra mesh hosts) and gateway selectors (istiod deploys the gateways) (README, Gateway API).",
    }),
    namespace: dnsLabel.default("mesh-traffic").meta({ description: "Namespace of every object." }),
    createNamespace: z
        .boolean()
        .default(true)
        .meta({ description: "Create the namespace, labelled istio-injection=enabled." }),
    skipAwait: z.boolean().default(false).meta({
        description:
            "Annotate workloads with pulumi.com/skipAwait (a control plane without controllers never reports readiness).",
    }),
    ambient: z
        .strictObject({
            enabled: z.boolean().default(false).meta({
                description:
                    "Istio's ambient mode: the namespace is labelled istio.io/dataplane-mode=ambient instead of istio-injection=enabled " +
                    "(ztunnel, no sidecars). Needs routingApi gateway-api (waypoints take HTTPRoutes; VirtualService there is alpha) " +
                    "and createNamespace.",
            }),
            waypoint: z
                .string({ error: 'must be a DNS label such as "waypoint", or "" for none' })
                .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$/, {
                    error: "must be a DNS label (lower-case letters, digits and '-', starting and ending with a letter or digit), or \"\" for none",
                })
                .max(63, { error: "must be at most 63 characters" })
                .default("")
                .meta({
                    description:
                        "The namespace's waypoint: a Gateway of this name and class istio-waypoint (listener mesh, port 15008, HBONE), " +
                        "and the namespace label istio.io/use-waypoint. Empty: none (each service then needs waypoint own).",
                }),
            waypointFor: z.enum(WAYPOINT_FOR).optional().meta({
                description: "What the waypoints proxy (label istio.io/waypoint-for on their Gateways). Default: Istio's (service).",
            }),
        })
        .prefault({})
        .meta({ description: "Ambient mode and its waypoints (single and platform stacks: the namespace's)." }),
    ingress: ingressSchema.prefault({}).meta({
        description:
            "Ingress Gateway (HTTP port redirecting to HTTPS, HTTPS with TLS SIMPLE or MUTUAL; or plain HTTP only, `protocol`) and its gateway-bound VirtualService.",
    }),
    internalGateway: internalGatewaySchema
        .prefault({})
        .meta({ description: "Gateway for traffic between namespaces, with an optional bound VirtualService." }),
    services: z.record(dnsLabel, serviceSchema).default({}).meta({
        description:
            "One entry per service; each gets Deployments per version, a Service, one DestinationRule and a mesh VirtualService.",
    }),
    egress: z
        .array(egressSchema)
        .default([])
        .meta({ description: "External hosts reached through the egress gateway (TLS passthrough)." }),
    egressGateway: egressGatewaySchema.prefault({}).meta({
        description: "The egress gateway all egress hosts go through, and the optional REGISTRY_ONLY Sidecar.",
    }),
    routing: routingSchema.prefault({}).meta({
        description:
            "The general traffic model: Istio's own VirtualServices, DestinationRules, ServiceEntries, Gateways and Sidecars " +
            "by name, for what `services`, `ingress` and `egress` do not say (any route, match and action; hosts deployed " +
            "elsewhere; external hosts of any protocol; gateways with several servers). `mesh-release import` writes it from " +
            "existing Istio YAML. A service stack holds only its service's route table (routing.virtualServices.<svc>, ending with { release: <svc> }), carried by its delegate.",
    }),
    release: releaseSchema.prefault({}).meta({
        description:
            "Rollout policy of mesh-release (steps, interval, analysis thresholds, Prometheus, webhooks, update retries).",
    }),
    rollouts: rolloutsSchema
        .default({})
        .meta({ description: "Recorded rollout state per service, written only by mesh-release." }),
});
export type StackConfig = z.infer<typeof stackConfigSchema>;

/** Top-level keys, in the order docs/config.md and Pulumi.yaml list them. */
export const STACK_CONFIG_KEYS = Object.keys(stackConfigSchema.shape) as (keyof StackConfig)[];

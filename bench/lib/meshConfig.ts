/**
 * Generated stack configs for the scale benchmarks: N services, each with a canary at a weight and a
 * host-wide circuit breaker (connection pool + outlier detection), i.e. per service one DestinationRule,
 * one VirtualService, two Deployments (stable, canary) and a Service. The config is raw (as `pulumi config`
 * holds it, keys without the `mesh-traffic:` prefix), so it goes through the real parser and stack builder.
 */

/** The circuit breaker every generated service gets (Istio field names: outlierDetection, not circuitBreaker). */
export const BENCH_TRAFFIC_POLICY = {
    connectionPool: {
        tcp: { maxConnections: 100, connectTimeout: "3s" },
        http: { http1MaxPendingRequests: 10, maxRequestsPerConnection: 1 },
    },
    outlierDetection: { consecutive5xxErrors: 5, interval: "30s", baseEjectionTime: "30s", maxEjectionPercent: 50 },
};

/** Name of the i-th generated service (0-based): `svc-0000`, `svc-0001`, ... */
export const benchServiceName = (i: number): string => `svc-${String(i).padStart(4, "0")}`;

export interface BenchConfigOptions {
    /** Number of services, >= 1. */
    services: number;
    /** Namespace of every object. Default "mesh-bench". */
    namespace?: string;
    /** Canary weight of every service, percent. Default 10. */
    weight?: number;
    /** Create the namespace in the stack. Default true. */
    createNamespace?: boolean;
}

/** Pure: the raw config of a stack with `services` canary + circuit-breaker services. */
export function benchConfig(opts: BenchConfigOptions): Record<string, unknown> {
    if (!Number.isInteger(opts.services) || opts.services < 1) {
        throw new Error(`benchConfig: services is ${opts.services}; it must be an integer >= 1`);
    }
    const services: Record<string, unknown> = {};
    for (let i = 0; i < opts.services; i++) {
        services[benchServiceName(i)] = {
            image: "registry.local/bench/app:{version}",
            port: 8080,
            stable: { version: "v1" },
            canary: { version: "v2", weight: opts.weight ?? 10 },
            trafficPolicy: BENCH_TRAFFIC_POLICY,
        };
    }
    return {
        namespace: opts.namespace ?? "mesh-bench",
        createNamespace: opts.createNamespace ?? true,
        // The local control plane has no controllers: Deployments would never report ready.
        skipAwait: true,
        services,
    };
}

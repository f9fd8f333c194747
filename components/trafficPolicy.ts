/**
 * Pure builder of a DestinationRule `trafficPolicy` (load balancing, connection pool, outlier detection,
 * client TLS) from typed args, with every problem collected and deprecations reported as warnings.
 */
import type {
    ConnectionPoolSettings,
    ConsistentHashLB,
    LoadBalancerSettings,
    OutlierDetection,
    SimpleLB,
    Subset,
    TrafficPolicy,
} from "./istio/types";
import { checkCount, checkDnsLabel, checkDuration, checkNonEmpty, checkRange, Problem, show } from "./validation";

/**
 * Load balancing: `{ simple }` or `{ consistentHash }`. `LEAST_CONN` is deprecated by Istio: it is accepted
 * with a warning and emitted as `LEAST_REQUEST`.
 */
export type LoadBalancerArgs = { simple: SimpleLB | "LEAST_CONN" } | { consistentHash: ConsistentHashLB };

/** Client TLS to the destination. Only Istio mutual TLS (or DISABLE) here: no TLS material in args. */
export interface ClientTlsArgs {
    /** "ISTIO_MUTUAL" (mesh certificates) or "DISABLE". */
    mode: "ISTIO_MUTUAL" | "DISABLE";
}

/**
 * A DestinationRule traffic policy (the circuit breaker). Field names are Istio's
 * (`outlierDetection`, `tcpKeepalive`); every field is optional, and absent means Istio's default.
 */
export interface TrafficPolicyArgs {
    loadBalancer?: LoadBalancerArgs;
    /**
     * tcp.maxConnections (count), tcp.connectTimeout (duration), tcp.tcpKeepalive {time, interval (durations),
     * probes (count)}; http.http1MaxPendingRequests, http2MaxRequests, maxRequestsPerConnection, maxRetries
     * (counts), idleTimeout (duration), h2UpgradePolicy.
     */
    connectionPool?: ConnectionPoolSettings;
    /**
     * consecutive5xxErrors, consecutiveGatewayErrors (counts), interval, baseEjectionTime (durations),
     * maxEjectionPercent, minHealthPercent (percent 0..100), splitExternalLocalOriginErrors.
     */
    outlierDetection?: OutlierDetection;
    tls?: ClientTlsArgs;
}

/** An extra subset selected by its `version` label, with an optional per-subset policy. */
export interface SubsetArgs {
    /** Subset name (DNS label). */
    name: string;
    /** Value of the `version` label the subset selects. */
    version: string;
    /** Policy for this subset only; overrides the host-wide policy field by field in Envoy. Default none. */
    trafficPolicy?: TrafficPolicyArgs;
}

/** Result of {@link buildTrafficPolicy}. */
export interface BuiltPolicy {
    /** The policy, undefined when the args set nothing. */
    policy: TrafficPolicy | undefined;
    problems: Problem[];
    /** Messages for `pulumi.log.warn` (deprecations). */
    warnings: string[];
}

const SIMPLE_LBS: ReadonlyArray<SimpleLB | "LEAST_CONN"> = ["ROUND_ROBIN", "LEAST_REQUEST", "RANDOM", "PASSTHROUGH", "LEAST_CONN"];
const H2_POLICIES = ["DEFAULT", "DO_NOT_UPGRADE", "UPGRADE"];

function loadBalancer(path: string, lb: LoadBalancerArgs, out: BuiltPolicy): LoadBalancerSettings | undefined {
    if ("simple" in lb) {
        const simple = lb.simple;
        if (!SIMPLE_LBS.includes(simple)) {
            out.problems.push({
                propertyPath: `${path}.simple`,
                reason: `${path}.simple is ${show(simple)}; it must be one of ROUND_ROBIN, LEAST_REQUEST, RANDOM, PASSTHROUGH`,
            });
            return undefined;
        }
        if (simple === "LEAST_CONN") {
            out.warnings.push(`${path}.simple LEAST_CONN is deprecated by Istio; emitting LEAST_REQUEST instead`);
            return { simple: "LEAST_REQUEST" };
        }
        return { simple };
    }
    const ch = lb.consistentHash;
    const keys = Object.keys(ch);
    if (keys.length !== 1) {
        out.problems.push({
            propertyPath: `${path}.consistentHash`,
            reason: `${path}.consistentHash sets ${show(keys)}; it must set exactly one of httpHeaderName, httpCookie, useSourceIp, httpQueryParameterName`,
        });
        return undefined;
    }
    if ("httpHeaderName" in ch) out.problems.push(...checkNonEmpty(`${path}.consistentHash.httpHeaderName`, ch.httpHeaderName));
    if ("httpQueryParameterName" in ch) out.problems.push(...checkNonEmpty(`${path}.consistentHash.httpQueryParameterName`, ch.httpQueryParameterName));
    if ("httpCookie" in ch) {
        out.problems.push(
            ...checkNonEmpty(`${path}.consistentHash.httpCookie.name`, ch.httpCookie.name),
            ...checkDuration(`${path}.consistentHash.httpCookie.ttl`, ch.httpCookie.ttl),
        );
    }
    return { consistentHash: { ...ch } };
}

function connectionPool(path: string, cp: ConnectionPoolSettings, out: BuiltPolicy): ConnectionPoolSettings {
    const p = out.problems;
    if (cp.tcp !== undefined) {
        const t = cp.tcp;
        p.push(...checkCount(`${path}.tcp.maxConnections`, t.maxConnections), ...checkDuration(`${path}.tcp.connectTimeout`, t.connectTimeout));
        if (t.tcpKeepalive !== undefined) {
            p.push(
                ...checkDuration(`${path}.tcp.tcpKeepalive.time`, t.tcpKeepalive.time),
                ...checkDuration(`${path}.tcp.tcpKeepalive.interval`, t.tcpKeepalive.interval),
                ...checkCount(`${path}.tcp.tcpKeepalive.probes`, t.tcpKeepalive.probes),
            );
        }
    }
    if (cp.http !== undefined) {
        const h = cp.http;
        p.push(
            ...checkCount(`${path}.http.http1MaxPendingRequests`, h.http1MaxPendingRequests),
            ...checkCount(`${path}.http.http2MaxRequests`, h.http2MaxRequests),
            ...checkCount(`${path}.http.maxRequestsPerConnection`, h.maxRequestsPerConnection, 0),
            ...checkCount(`${path}.http.maxRetries`, h.maxRetries, 0),
            ...checkDuration(`${path}.http.idleTimeout`, h.idleTimeout),
        );
        if (h.h2UpgradePolicy !== undefined && !H2_POLICIES.includes(h.h2UpgradePolicy)) {
            p.push({
                propertyPath: `${path}.http.h2UpgradePolicy`,
                reason: `${path}.http.h2UpgradePolicy is ${show(h.h2UpgradePolicy)}; it must be one of DEFAULT, DO_NOT_UPGRADE, UPGRADE`,
            });
        }
    }
    return structuredClone(cp);
}

function outlierDetection(path: string, od: OutlierDetection, out: BuiltPolicy): OutlierDetection {
    out.problems.push(
        ...checkCount(`${path}.consecutive5xxErrors`, od.consecutive5xxErrors, 0),
        ...checkCount(`${path}.consecutiveGatewayErrors`, od.consecutiveGatewayErrors, 0),
        ...checkDuration(`${path}.interval`, od.interval),
        ...checkDuration(`${path}.baseEjectionTime`, od.baseEjectionTime),
        ...checkRange(`${path}.maxEjectionPercent`, od.maxEjectionPercent, 0, 100, true),
        ...checkRange(`${path}.minHealthPercent`, od.minHealthPercent, 0, 100, true),
    );
    return { ...od };
}

/** Builds a trafficPolicy from args; problem paths start with `path` (e.g. "trafficPolicy"). */
export function buildTrafficPolicy(path: string, args: TrafficPolicyArgs | undefined): BuiltPolicy {
    const out: BuiltPolicy = { policy: undefined, problems: [], warnings: [] };
    if (args === undefined) {
        return out;
    }
    const policy: TrafficPolicy = {};
    if (args.loadBalancer !== undefined) {
        const lb = loadBalancer(`${path}.loadBalancer`, args.loadBalancer, out);
        if (lb !== undefined) policy.loadBalancer = lb;
    }
    if (args.connectionPool !== undefined) policy.connectionPool = connectionPool(`${path}.connectionPool`, args.connectionPool, out);
    if (args.outlierDetection !== undefined) policy.outlierDetection = outlierDetection(`${path}.outlierDetection`, args.outlierDetection, out);
    if (args.tls !== undefined) {
        if (args.tls.mode !== "ISTIO_MUTUAL" && args.tls.mode !== "DISABLE") {
            out.problems.push({ propertyPath: `${path}.tls.mode`, reason: `${path}.tls.mode is ${show(args.tls.mode)}; it must be ISTIO_MUTUAL or DISABLE` });
        } else {
            policy.tls = { mode: args.tls.mode };
        }
    }
    out.policy = Object.keys(policy).length === 0 ? undefined : policy;
    return out;
}

/** Result of {@link buildSubsets}. */
export interface BuiltSubsets {
    subsets: Subset[];
    problems: Problem[];
    warnings: string[];
}

/**
 * Builds DestinationRule subsets (`version` label each) from `[path, args]` entries, checking names,
 * uniqueness and per-subset policies; problem paths start with each entry's path.
 */
export function buildSubsets(entries: ReadonlyArray<readonly [path: string, subset: SubsetArgs]>): BuiltSubsets {
    const out: BuiltSubsets = { subsets: [], problems: [], warnings: [] };
    const seen = new Set<string>();
    for (const [p, s] of entries) {
        out.problems.push(...checkDnsLabel(`${p}.name`, s.name), ...checkNonEmpty(`${p}.version`, s.version));
        if (seen.has(s.name)) {
            out.problems.push({
                propertyPath: `${p}.name`,
                reason: `${p}.name is ${show(s.name)}, a subset name that is already defined; each subset name must be unique (stable and canary are reserved)`,
            });
        }
        seen.add(s.name);
        const built = buildTrafficPolicy(`${p}.trafficPolicy`, s.trafficPolicy);
        out.problems.push(...built.problems);
        out.warnings.push(...built.warnings);
        const subset: Subset = { name: s.name, labels: { version: s.version } };
        if (built.policy !== undefined) subset.trafficPolicy = built.policy;
        out.subsets.push(subset);
    }
    return out;
}

/** What a {@link Canary} emits, computed and checked without creating anything. Pure: loads no Pulumi SDK. */
import { istioSpecSchema } from "../contract/istioSpec";
import type { ServiceProtocol } from "../contract/schema";
import { formatPath } from "../contract/paths";
import type { DeepInput, Plain } from "./inputs";
import { DestinationRuleClaims } from "./destinationRuleClaims";
import type { DestinationRuleSpec, HTTPRoute, Subset, TCPRoute } from "./istio/types";
import {
    canaryHttpRoutes,
    checkRouting,
    liveWeights,
    splitDestinations,
    type AbTestArgs,
    type CanaryPin,
    type FaultArgs,
    type RedirectArgs,
    type RetryArgs,
    type RoutingInput,
    type SessionAffinityArgs,
    type UriRouteArgs,
    type Weights,
} from "./routes";
import { CANARY, STABLE } from "./subsets";
import { buildSubsets, buildTrafficPolicy, type SubsetArgs, type TrafficPolicyArgs } from "./trafficPolicy";
import { checkDnsLabel, checkHosts, checkNonEmpty, show, type Problem } from "./validation";

/** What a service speaks: `http` (default), `grpc` (HTTP/2: the same routes) or `tcp` (the weighted split only). */
export type { ServiceProtocol };

/** The name of a service's port: Istio picks the protocol by it (`http`, `grpc`, `tcp`). */
export function servicePortName(protocol: ServiceProtocol | undefined): ServiceProtocol {
    return protocol ?? "http";
}

/**
 * Arguments of {@link Canary}. Every value accepts a `pulumi.Input` (one resource's output feeds another:
 * `namespace: ns.metadata.name`); what is known at construction is checked before anything is created, the rest
 * when it resolves. Plain, because they decide which objects exist: whether `delegate` is set, `virtualService`,
 * `claims`.
 */
export interface CanaryArgs {
    /** Namespace of the DestinationRule and VirtualService. */
    namespace: DeepInput<string>;
    /** The Kubernetes Service (DNS label), the destination host. */
    service: DeepInput<string>;
    /** Destination port, 1..65535. Default: none (Istio uses the service's only port). */
    port?: DeepInput<number>;
    /** Hosts of the mesh VirtualService. Default `[service]`. `*` is rejected. */
    hosts?: DeepInput<string[]>;
    /** The stable subset: `version` label value and an optional per-subset policy. */
    stable: DeepInput<{ version: string; trafficPolicy?: TrafficPolicyArgs }>;
    /**
     * The canary subset. `version` absent = no canary subset and no canary routes. `weight`: percent of the
     * catch-all, integer 0..100, default 0. `routed`: default true; false keeps the subset but routes nothing
     * to it (rollback, first half of promotion). `sessionAffinity`: sticky sessions while the canary takes a share of
     * the split (routes.ts `stickySession`), default off. `revision`: the release the session cookies name, default
     * the canary version.
     */
    canary?: DeepInput<{
        version?: string;
        weight?: number;
        routed?: boolean;
        trafficPolicy?: TrafficPolicyArgs;
        sessionAffinity?: SessionAffinityArgs;
        revision?: string;
    }>;
    /** Host-wide traffic policy (the circuit breaker), merged into this one DestinationRule. Default none. */
    trafficPolicy?: DeepInput<TrafficPolicyArgs>;
    /** More subsets by `version` label (e.g. a URI-routed "legacy"). Default none. */
    extraSubsets?: DeepInput<SubsetArgs[]>;
    /** Header/cookie pins to the canary, matched first. Default none. */
    pins?: DeepInput<CanaryPin[]>;
    /** A/B flag routes to the canary, after the pins. Default none. */
    abTest?: DeepInput<AbTestArgs>;
    /** Prefix redirects, before the URI routes. Default none. */
    redirects?: DeepInput<RedirectArgs[]>;
    /** URI-prefix routes to a subset or a split, optionally rewriting. Default none. */
    uriRoutes?: DeepInput<UriRouteArgs[]>;
    /** Mirror `percentage` percent of catch-all traffic to the canary. Default: no mirror. */
    mirror?: DeepInput<{ percentage: number }>;
    /** Timeout of every forwarding route, Go duration (e.g. "10s"). Default: Istio's (none). */
    timeout?: DeepInput<string>;
    /** Retries of every forwarding route. Default: Istio's (2 attempts). */
    retries?: DeepInput<RetryArgs>;
    /** Fault injection; absent = off. With `header`, a separate first route. */
    faults?: DeepInput<FaultArgs>;
    /** The one-DestinationRule-per-host registry (plain: a registry, not a value). Default {@link DestinationRuleClaims.global}. */
    claims?: DestinationRuleClaims;
    /** Extra labels on every object. Default none. */
    labels?: DeepInput<Record<string, string>>;
    /**
     * Put the routes in a delegate VirtualService named `delegate.name` (no hosts, no gateways, exported to
     * `delegate.exportTo`, default `["."]`: its own namespace) and make the mesh VirtualService a root whose one
     * route delegates to it. Gateway root VirtualServices delegate to the same one, so every root routes
     * with the same weights, pins, A/B flag, faults, retries and timeouts. Default: no delegate, the routes
     * are in the mesh VirtualService itself. Whether it is set is plain (it decides whether the delegate exists).
     */
    delegate?: { name: DeepInput<string>; exportTo?: DeepInput<string[]> };
    /**
     * false: emit no mesh VirtualService (the DestinationRule only): another VirtualService routes the service's hosts,
     * e.g. a `routing` VirtualService whose http route `{ release: <svc> }` carries this canary's routes
     * ({@link CanaryPlan.http}). Default true. Plain: it decides whether the VirtualService exists.
     */
    virtualService?: boolean;
    /**
     * Istio http routes (networking.istio.io/v1 HTTPRoute, any match and action) placed before the canary's own
     * routes in its VirtualService (or its delegate): what they match never reaches the canary's pins or split.
     * Checked against Istio's CRD schema. Default none.
     */
    routesBefore?: DeepInput<Record<string, unknown>[]>;
    /**
     * What the service speaks. `tcp`: the VirtualService has `tcp` routes (the weighted split to the subsets, Istio's
     * tcp-echo recipe) and no http routes; every HTTP-only arg is refused, and so is `delegate` (Istio drops tcp routes
     * from a delegate). `http` and `grpc` (HTTP/2): http routes. Default `http`. Plain: it decides the route kind.
     */
    protocol?: ServiceProtocol;
}

export const CANARY_TOKEN = "mesh-traffic:index:Canary";

/** What a Canary emits, computed and checked without creating anything. */
export interface CanaryPlan {
    problems: Problem[];
    warnings: string[];
    hosts: string[];
    subsets: Subset[];
    trafficPolicy: ReturnType<typeof buildTrafficPolicy>["policy"];
    http: ReturnType<typeof canaryHttpRoutes>;
    /** The tcp routes (`protocol: tcp`): the weighted split; none otherwise. */
    tcp: TCPRoute[];
    weights: Weights;
}

/** The args of a Canary that only HTTP can carry, by arg path, when set. */
function httpOnlyArgs(args: Plain<CanaryArgs>): [path: string, value: unknown][] {
    const set = (v: unknown): boolean => v !== undefined && !(Array.isArray(v) && v.length === 0);
    const entries: [string, unknown][] = [
        ["pins", args.pins],
        ["abTest", args.abTest],
        ["faults", args.faults],
        ["retries", args.retries],
        ["timeout", args.timeout],
        ["mirror", args.mirror],
        ["redirects", args.redirects],
        ["uriRoutes", args.uriRoutes],
        ["canary.sessionAffinity", args.canary?.sessionAffinity],
        ["routesBefore", args.routesBefore],
        ["delegate", args.delegate],
    ];
    return entries.filter(([, v]) => set(v));
}

/** `protocol: tcp` refuses every HTTP-only arg: a TCP connection has no header, path or response to act on. */
export function checkTcpArgs(args: Plain<CanaryArgs>): Problem[] {
    if (args.protocol !== "tcp") return [];
    return httpOnlyArgs(args).map(([path, value]) => ({
        propertyPath: path,
        reason:
            path === "delegate"
                ? `delegate is ${show(value)}; Istio drops tcp routes from a delegate VirtualService, so a tcp service's routes stay in its own VirtualService: remove delegate`
                : `${path} is ${show(value)}; it acts on HTTP requests, and the service's protocol is tcp (a TCP connection is split by weight only): remove ${path}, or set protocol http or grpc`,
    }));
}

/** The tcp routes of a tcp service: one route, the weighted split to its subsets (stable, canary). */
export function canaryTcpRoutes(host: string, port: number | undefined, weights: Weights): TCPRoute[] {
    return [{ route: splitDestinations(host, port, weights) }];
}

/** The subsets of a Canary, with the arg path each comes from: stable, canary (when it has a version), the extra ones. */
function subsetEntries(args: Plain<CanaryArgs>): Array<readonly [string, SubsetArgs]> {
    const entries: Array<readonly [string, SubsetArgs]> = [["stable", { name: STABLE, ...args.stable }]];
    const canaryVersion = args.canary?.version;
    if (canaryVersion !== undefined) {
        entries.push(["canary", { name: CANARY, version: canaryVersion, trafficPolicy: args.canary?.trafficPolicy }]);
    }
    (args.extraSubsets ?? []).forEach((s, i) => entries.push([`extraSubsets[${i}]`, s]));
    return entries;
}

/** What decides a Canary's HTTP routes. */
function routingOf(args: Plain<CanaryArgs>, subsets: string[]): RoutingInput {
    return {
        host: args.service,
        port: args.port,
        subsets,
        canary: args.canary,
        pins: args.pins,
        abTest: args.abTest,
        redirects: args.redirects,
        uriRoutes: args.uriRoutes,
        mirror: args.mirror,
        timeout: args.timeout,
        retries: args.retries,
        faults: args.faults,
    };
}

/**
 * Pure: the HTTP routes of a Canary's mesh VirtualService (its delegate's, with `delegate`), the same as
 * {@link planCanary}'s `http`, without claiming its host; undefined when its routing has problems (planCanary
 * reports them). For gateway routes that carry a service's routes (`GatewayRouteArgs.routes`).
 */
export function canaryRoutes(args: Plain<CanaryArgs>): HTTPRoute[] | undefined {
    const routing = routingOf(args, buildSubsets(subsetEntries(args)).subsets.map((s) => s.name));
    return checkRouting(routing).length === 0 && args.protocol !== "tcp" ? canaryHttpRoutes(routing) : undefined;
}

/** The DestinationRule of a service: its subsets and host-wide policy (a Canary's, and a GatewayApiCanary's). */
export function serviceDestinationRule(service: string, plan: Pick<CanaryPlan, "subsets" | "trafficPolicy">): DestinationRuleSpec {
    return { host: service, ...(plan.trafficPolicy === undefined ? {} : { trafficPolicy: plan.trafficPolicy }), subsets: plan.subsets };
}

/** Pure: validates CanaryArgs and computes the DestinationRule and VirtualService specs. */
export function planCanary(name: string, args: Plain<CanaryArgs>): CanaryPlan {
    const problems: Problem[] = [
        ...checkNonEmpty("namespace", args.namespace),
        ...checkDnsLabel("namespace", args.namespace),
        ...checkDnsLabel("service", args.service),
        ...checkNonEmpty("stable.version", args.stable.version),
    ];
    const warnings: string[] = [];
    if (args.routesBefore !== undefined && args.routesBefore.length > 0) {
        const res = istioSpecSchema("VirtualService").safeParse({ hosts: [args.service], http: args.routesBefore });
        for (const i of res.success ? [] : res.error.issues) {
            const path = formatPath(["routesBefore", ...i.path.slice(1).map((x) => (typeof x === "symbol" ? String(x) : x))]);
            problems.push({ propertyPath: path, reason: `${path}: ${i.message.startsWith("must") ? `it ${i.message}` : i.message}` });
        }
    }
    const hosts = args.hosts ?? [args.service];
    problems.push(...checkHosts("hosts", hosts, false));
    if (args.delegate !== undefined) {
        problems.push(...checkDnsLabel("delegate.name", args.delegate.name));
        if (args.delegate.name === args.service) {
            problems.push({
                propertyPath: "delegate.name",
                reason: `delegate.name is ${JSON.stringify(args.delegate.name)}, the name of the mesh VirtualService; the delegate needs a name of its own`,
            });
        }
    }

    const built = buildSubsets(subsetEntries(args));
    problems.push(...built.problems);
    warnings.push(...built.warnings);

    const policy = buildTrafficPolicy("trafficPolicy", args.trafficPolicy);
    problems.push(...policy.problems);
    warnings.push(...policy.warnings);

    const routing = routingOf(args, built.subsets.map((s) => s.name));
    problems.push(...checkRouting(routing), ...checkTcpArgs(args));
    const tcp = args.protocol === "tcp";

    if (problems.length === 0) {
        const claims = args.claims ?? DestinationRuleClaims.global;
        problems.push(...claims.claim(args.service, args.namespace, `${CANARY_TOKEN} ${JSON.stringify(name)}`, "service"));
    }
    return {
        problems,
        warnings,
        hosts,
        subsets: built.subsets,
        trafficPolicy: policy.policy,
        // routesBefore passed the CRD schema above; the cast only gives the opaque routes the spec's element type.
        http: problems.length === 0 && !tcp ? [...((args.routesBefore ?? []) as ReturnType<typeof canaryHttpRoutes>), ...canaryHttpRoutes(routing)] : [],
        tcp: problems.length === 0 && tcp ? canaryTcpRoutes(args.service, args.port, liveWeights(args.canary)) : [],
        weights: liveWeights(args.canary),
    };
}

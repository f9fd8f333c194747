/** What a {@link Canary} emits, computed and checked without creating anything. Pure: loads no Pulumi SDK. */
import { istioSpecSchema } from "../contract/istioSpec";
import { formatPath } from "../contract/paths";
import type { CanaryArgs } from "./canary";
import type { Plain } from "./inputs";
import { DestinationRuleClaims } from "./destinationRuleClaims";
import type { DestinationRuleSpec, HTTPRoute, Subset } from "./istio/types";
import { canaryHttpRoutes, checkRouting, liveWeights, type RoutingInput, type Weights } from "./routes";
import { CANARY, STABLE } from "./subsets";
import { buildSubsets, buildTrafficPolicy, type SubsetArgs } from "./trafficPolicy";
import { checkDnsLabel, checkHosts, checkNonEmpty, type Problem } from "./validation";

export const CANARY_TOKEN = "mesh-traffic:index:Canary";

/** What a Canary emits, computed and checked without creating anything. */
export interface CanaryPlan {
    problems: Problem[];
    warnings: string[];
    hosts: string[];
    subsets: Subset[];
    trafficPolicy: ReturnType<typeof buildTrafficPolicy>["policy"];
    http: ReturnType<typeof canaryHttpRoutes>;
    weights: Weights;
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
    return checkRouting(routing).length === 0 ? canaryHttpRoutes(routing) : undefined;
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
    problems.push(...checkRouting(routing));

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
        http: problems.length === 0 ? [...((args.routesBefore ?? []) as ReturnType<typeof canaryHttpRoutes>), ...canaryHttpRoutes(routing)] : [],
        weights: liveWeights(args.canary),
    };
}

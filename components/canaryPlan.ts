/** What a {@link Canary} emits, computed and checked without creating anything. Pure: loads no Pulumi SDK. */
import type { CanaryArgs } from "./canary";
import { DestinationRuleClaims } from "./destinationRuleClaims";
import type { DestinationRuleSpec, Subset } from "./istio/types";
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

/** The DestinationRule of a service: its subsets and host-wide policy (a Canary's, and a GatewayApiCanary's). */
export function serviceDestinationRule(service: string, plan: Pick<CanaryPlan, "subsets" | "trafficPolicy">): DestinationRuleSpec {
    return { host: service, ...(plan.trafficPolicy === undefined ? {} : { trafficPolicy: plan.trafficPolicy }), subsets: plan.subsets };
}

/** Pure: validates CanaryArgs and computes the DestinationRule and VirtualService specs. */
export function planCanary(name: string, args: CanaryArgs): CanaryPlan {
    const problems: Problem[] = [
        ...checkNonEmpty("namespace", args.namespace),
        ...checkDnsLabel("namespace", args.namespace),
        ...checkDnsLabel("service", args.service),
        ...checkNonEmpty("stable.version", args.stable.version),
    ];
    const warnings: string[] = [];
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

    const entries: Array<readonly [string, SubsetArgs]> = [["stable", { name: STABLE, ...args.stable }]];
    const canaryVersion = args.canary?.version;
    if (canaryVersion !== undefined) {
        entries.push(["canary", { name: CANARY, version: canaryVersion, trafficPolicy: args.canary?.trafficPolicy }]);
    }
    (args.extraSubsets ?? []).forEach((s, i) => entries.push([`extraSubsets[${i}]`, s]));
    const built = buildSubsets(entries);
    problems.push(...built.problems);
    warnings.push(...built.warnings);

    const policy = buildTrafficPolicy("trafficPolicy", args.trafficPolicy);
    problems.push(...policy.problems);
    warnings.push(...policy.warnings);

    const routing: RoutingInput = {
        host: args.service,
        port: args.port,
        subsets: built.subsets.map((s) => s.name),
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
        http: problems.length === 0 ? canaryHttpRoutes(routing) : [],
        weights: liveWeights(args.canary),
    };
}

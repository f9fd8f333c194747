/**
 * Checks across one environment: a platform stack and its service stacks (stacks/layout.ts explains the
 * layouts). {@link checkEnvironment} is pure; the environment fan-out of mesh-release calls it with every
 * stack's config before it applies anything, so a wrong combination is refused with the stack, the config
 * path, the value, the rule and the fix.
 */
import { canonicalHost } from "../components/istioRoutingPlan";
import { show } from "../components/validation";
import { checkStackConfig, type StackConfigProblem } from "./config";
import { serviceStackName, shortStackName } from "../contract/project";
import { checkGatewayApiService } from "./gatewayApi";
import { checkDelegateNesting, checkRouteTableOnExactRoots, checkServiceStackName, checkServiceWaypoints, platformOutputs, rootRoutes, routingApiMismatch } from "./layout";
import { stackObjects } from "./meshPlan";
import { serviceHosts, tcpGatewayRouteReason } from "./rules";
import { tidyProblem } from "../contract/problems";
import { LAYOUTS, type StackConfig } from "../contract/schema";

/** One problem of an environment: the stack it is in, and the problem at that stack's config path. */
export interface EnvironmentProblem extends StackConfigProblem {
    stack: string;
}

/** One stack's `mesh-traffic:` config (keys without the namespace, as `configFromPulumiMap` returns them). */
export interface StackConfigInput {
    stack: string;
    config: Record<string, unknown>;
}

/**
 * Pure: every problem of an environment (one platform stack, its service stacks) that no single stack can
 * see, plus each stack's own problems, before anything is applied:
 * - each stack's config (schema, rules, layout keys);
 * - the platform stack has layout platform; each service stack has layout service and names it in
 *   `platformStack`;
 * - a service is claimed by one stack only, and a mesh host by one service only;
 * - every root route (ingress, internal gateway) goes to a service that has a service stack;
 * - each service's delegate nests in the root routes that delegate to it (Gateway API: each service's rules lie
 *   under the prefixes the platform routes to it, as its HTTPRoute on the Gateway carries them);
 * - each service stack routes with its platform's API (routingApi).
 */
export function checkEnvironment(platform: StackConfigInput, services: readonly StackConfigInput[]): EnvironmentProblem[] {
    const out: EnvironmentProblem[] = [];
    const at = (stack: string, problems: readonly StackConfigProblem[]): void => {
        out.push(...problems.map((p) => ({ stack, ...tidyProblem(p) })));
    };
    const parsed = (input: StackConfigInput): StackConfig | undefined => {
        const { config, problems } = checkStackConfig(input.config);
        at(input.stack, problems);
        return config;
    };
    const parsedStacks: [StackConfigInput, StackConfig][] = [];
    const platformCfg = parsed(platform);
    if (platformCfg !== undefined) parsedStacks.push([platform, platformCfg]);
    const platformLayout = platform.config["layout"] ?? "single";
    // A layout the schema refused is reported there, with its did-you-mean; this rule is for a valid other one.
    if (platformLayout !== "platform" && (LAYOUTS as readonly unknown[]).includes(platformLayout)) {
        at(platform.stack, [
            {
                propertyPath: "layout",
                reason: `layout is ${show(platformLayout)}; the platform stack of an environment must have layout "platform"`,
                fix: "pulumi config set layout platform (and move its services to service stacks)",
            },
        ]);
    }
    const owner = new Map<string, string>(); // service -> stack
    const hostOwner = new Map<string, { stack: string; service: string }>();
    const seenStacks = new Set<string>([platform.stack]);
    for (const input of services) {
        if (seenStacks.has(input.stack)) {
            at(input.stack, [
                {
                    propertyPath: "",
                    reason: `stack ${show(input.stack)} is listed twice in the environment`,
                    fix: "list each stack once",
                },
            ]);
            continue;
        }
        seenStacks.add(input.stack);
        const cfg = parsed(input);
        if (cfg === undefined) {
            // Its problems are reported; the services it names still have a stack (no "no stack holds it" follow-on).
            const named = input.config["services"];
            for (const name of named !== null && typeof named === "object" ? Object.keys(named) : []) {
                if (!owner.has(name)) owner.set(name, input.stack);
            }
            continue;
        }
        parsedStacks.push([input, cfg]);
        if (cfg.layout !== "service") {
            at(input.stack, [
                {
                    propertyPath: "layout",
                    reason: `layout is ${show(cfg.layout)}; a service stack of environment ${show(platform.stack)} must have layout "service"`,
                    fix: "pulumi config set layout service",
                },
            ]);
            continue;
        }
        if (cfg.platformStack !== "" && shortStackName(cfg.platformStack) === shortStackName(platform.stack)) {
            at(input.stack, checkServiceStackName(input.stack, cfg));
        }
        if (cfg.platformStack !== "" && shortStackName(cfg.platformStack) !== shortStackName(platform.stack)) {
            at(input.stack, [
                {
                    propertyPath: "platformStack",
                    reason: `platformStack is ${show(cfg.platformStack)}, but this stack is a service stack of environment ${show(platform.stack)}; it must name that platform stack`,
                    fix: `pulumi config set platformStack ${platform.stack}`,
                },
            ]);
        }
        if (platformCfg !== undefined && platformCfg.routingApi !== cfg.routingApi) {
            at(input.stack, [routingApiMismatch(cfg.routingApi, platform.stack, platformCfg.routingApi)]);
        } else if (platformCfg !== undefined) {
            // Gateway API: its HTTPRoute on the platform's Gateway, as the service stack's program will make it.
            at(input.stack, checkGatewayApiService(cfg, platformOutputs(platformCfg)));
            // Ambient mode: each service's waypoint against the platform's namespace.
            at(input.stack, checkServiceWaypoints(cfg, platformOutputs(platformCfg).ambient, `the platform stack ${show(platform.stack)}'s namespace`));
        }
        for (const [name, svc] of Object.entries(cfg.services)) {
            const first = owner.get(name);
            if (first !== undefined) {
                at(input.stack, [
                    {
                        propertyPath: `services.${name}`,
                        reason: `services.${name} is claimed by stack ${show(first)} too; a service belongs to exactly one stack (one Deployment, DestinationRule and delegate per service)`,
                        fix: `pulumi config rm --path 'services.${name}' in one of ${show(first)} and ${show(input.stack)} (pulumi state move the service's resources if they are live)`,
                    },
                ]);
                continue;
            }
            owner.set(name, input.stack);
            serviceHosts(name, svc).forEach((host, i) => {
                const h = hostOwner.get(host);
                if (h !== undefined) {
                    at(input.stack, [
                        {
                            propertyPath: `services.${name}.hosts[${i}]`,
                            reason: `services.${name}.hosts[${i}] is ${show(host)}, which service ${h.service} of stack ${show(h.stack)} already claims; each host belongs to exactly one service (one mesh VirtualService per host)`,
                            fix: `pulumi config rm --path 'services.${name}.hosts[${i}]' in stack ${input.stack}`,
                        },
                    ]);
                    return;
                }
                hostOwner.set(host, { stack: input.stack, service: name });
            });
            // A tcp service has no HTTP routes (no delegate, no gateway HTTPRoute) for the platform's gateway route to reach.
            const tcpRoots = svc.protocol === "tcp" && platformCfg !== undefined ? rootRoutes(platformCfg).filter((r) => r.service === name) : [];
            at(
                platform.stack,
                tcpRoots.map((r) => ({
                    propertyPath: `${r.gateway}.routes[${r.index}].service`,
                    reason: tcpGatewayRouteReason(r.gateway, r.index, name, input.stack),
                    fix: `pulumi config rm --path '${r.gateway}.routes[${r.index}]' in stack ${platform.stack}`,
                })),
            );
            if (platformCfg !== undefined && platformCfg.routingApi === cfg.routingApi) {
                const roots = rootRoutes(platformCfg);
                at(input.stack, [...checkDelegateNesting(name, svc, roots, cfg.routingApi), ...checkRouteTableOnExactRoots(cfg, name, roots)]);
            }
        }
    }
    // Object names across stacks (one namespace): e.g. a service named "a-delegate" and service a's delegate.
    const objectOwner = new Map<string, { stack: string; owner: string; label: string }>();
    for (const [input, cfg] of parsedStacks) {
        for (const o of stackObjects(cfg)) {
            const key = `${o.kind}/${o.name}`;
            const first = objectOwner.get(key);
            if (first === undefined) {
                objectOwner.set(key, { stack: input.stack, owner: o.owner, label: o.label });
            } else if (first.stack !== input.stack && !(first.owner === o.owner && o.owner.startsWith("services."))) {
                at(input.stack, [
                    {
                        propertyPath: o.owner,
                        reason: `${o.owner} makes ${o.kind} ${show(o.name)}, which ${first.label} of stack ${show(first.stack)} also makes; each object name of the environment's namespace must have one owner`,
                        fix: `${o.fix} (${o.owner} in stack ${input.stack})`,
                    },
                ]);
            }
        }
    }
    if (platformCfg !== undefined) {
        // The platform's own Istio objects must not route or set the policy of a host a service stack owns: the
        // sidecars would see two VirtualServices or DestinationRules for it (Istio keeps one).
        const ns = platformCfg.namespace;
        const owned = new Map([...hostOwner].map(([h, o]) => [canonicalHost(h, ns), o]));
        const claim = (path: string, host: string, what: string): void => {
            const o = owned.get(canonicalHost(host, ns));
            if (o === undefined) return;
            at(platform.stack, [
                {
                    propertyPath: path,
                    reason: `${path} is ${show(host)}, a host of service ${o.service} (stack ${show(o.stack)}), which has its own ${what}; Istio uses one per host: put these routes in that service stack's route table (routing.virtualServices.${o.service}) or the policy in its services.${o.service}.trafficPolicy`,
                    fix: `pulumi config rm --path '${path}' in stack ${platform.stack}`,
                },
            ]);
        };
        for (const [name, spec] of Object.entries(platformCfg.routing.virtualServices)) {
            const gateways = Array.isArray(spec["gateways"]) ? (spec["gateways"] as unknown[]) : [];
            if (gateways.length > 0 && !gateways.includes("mesh")) continue; // gateway-bound: istiod merges per gateway
            (Array.isArray(spec["hosts"]) ? (spec["hosts"] as unknown[]) : []).forEach((h, i) => {
                if (typeof h === "string") claim(`routing.virtualServices.${name}.hosts[${i}]`, h, "mesh VirtualService");
            });
        }
        for (const [name, spec] of Object.entries(platformCfg.routing.destinationRules)) {
            if (typeof spec["host"] === "string" && spec["workloadSelector"] === undefined) claim(`routing.destinationRules.${name}.host`, spec["host"], "DestinationRule");
        }
        for (const r of rootRoutes(platformCfg)) {
            if (owner.has(r.service)) {
                continue;
            }
            const path = `${r.gateway}.routes[${r.index}].service`;
            at(platform.stack, [
                {
                    propertyPath: path,
                    reason:
                        `${path} is ${show(r.service)}, a service no service stack of this environment holds ` +
                        `(${[...owner.keys()].map((s) => show(s)).join(", ") || "none"}); ` +
                        (platformCfg.routingApi === "gateway-api"
                            ? "no stack would attach an HTTPRoute for it to the Gateway, so the prefix would route nowhere"
                            : "the root route would delegate to a delegate VirtualService that does not exist"),
                    fix: `create its service stack first (pulumi stack init ${serviceStackName(shortStackName(platform.stack), r.service)}, layout service), or remove the route: pulumi config rm --path '${r.gateway}.routes[${r.index}]'`,
                },
            ]);
        }
    }
    return out;
}

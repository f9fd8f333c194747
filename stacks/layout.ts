/**
 * Stack layouts (`mesh-traffic:layout`): which keys a stack of each layout may set, the names that tie a
 * platform stack to its service stacks, what a platform stack exports for them, and
 * {@link checkServiceAgainstPlatform} (the check a service stack's program runs on its platform stack's
 * outputs). The checks across a whole environment are in stacks/environment.ts.
 *
 * - `single`: the whole environment in one stack; its gateway VirtualServices carry each service's routes under
 *   the route's prefix, merged ahead as istiod merges the per-service layout's delegation (same Envoy routes).
 * - `platform` (`<env>`): namespace, gateways, egress, release defaults and the gateway ROOT VirtualServices,
 *   whose routes `delegate: {name, namespace}` to each service's delegate VirtualService. No services.
 * - `service` (`<env>.<svc>` by convention): exactly one service: its Workloads, its DestinationRule, its
 *   delegate VirtualService (every route: pins, A/B, faults, retries, timeouts, the weighted catch-all) and
 *   its mesh VirtualService, a root whose one route delegates to that same delegate, so gateway traffic and
 *   mesh traffic are routed by one list of routes and cannot disagree on weights (Istio analyzer IST0140).
 *
 * Istio's delegation rules these checks follow (pilot/pkg/model/virtualservice.go, mergeHTTPRoute and
 * hasConflict; virtualservice_controller.go; pkg/config/validation): one level only (a delegate's route may
 * not delegate); HTTP only (a delegate has no tls/tcp routes); a delegate has no hosts and no gateways; a
 * root route that delegates has no route/redirect of its own; each of the delegate's match conditions must
 * nest in one of the root route's (a `uri.prefix` that starts with the root's prefix, or no uri at all),
 * else that delegate route is dropped for that root; the delegate must be exported to the root's namespace.
 */
import { underPrefix } from "../components/gatewayApiPlan";
import type { HTTPRoute } from "../components/istio/types";
import { prefixRoutesCovering } from "../components/routes";
import { serviceRoutesBefore } from "./serviceRouting";
import { show } from "../components/validation";
import type { RuleProblem } from "./ruleProblem";
import { type Layout, type RoutingApi, type ServiceConfig, type StackConfig } from "../contract/schema";
import { serviceStackName, shortStackName } from "../contract/project";
import { PLATFORM_OUTPUT_VERSION, type PlatformOutputs, type RootRoute } from "../contract/platformOutput";

/** Top-level keys each layout may set (a key not listed is refused when present in the stack's config). */
export const LAYOUT_KEYS: Readonly<Record<Layout, readonly (keyof StackConfig)[]>> = {
    single: ["layout", "namespace", "createNamespace", "skipAwait", "ambient", "ingress", "internalGateway", "services", "egress", "egressGateway", "routing", "release", "rollouts"],
    platform: ["layout", "namespace", "createNamespace", "skipAwait", "ambient", "ingress", "internalGateway", "egress", "egressGateway", "routing", "release"],
    service: ["layout", "platformStack", "skipAwait", "services", "routing", "release", "rollouts"],
};

/** Where a key that a layout refuses belongs instead. */
const BELONGS: Readonly<Partial<Record<keyof StackConfig, string>>> = {
    platformStack: "only in a service stack (layout service)",
    namespace: "in the platform stack: a service stack uses the platform stack's namespace",
    createNamespace: "in the platform stack, which owns the namespace",
    ambient: "in the platform stack, which owns the namespace and its waypoint (a service stack asks for a waypoint of its own with services.<svc>.waypoint own)",
    ingress: "in the platform stack, whose ingress root VirtualService delegates to the service stacks",
    internalGateway: "in the platform stack, whose internal gateway root VirtualService delegates to the service stacks",
    egress: "in the platform stack",
    egressGateway: "in the platform stack",
    services: "in one service stack per service (layout service, named <env>.<svc>)",
    rollouts: "in the service stack of each service (mesh-release writes it there)",
};

/** Name of the delegate VirtualService of a service (in the platform stack's namespace). */
export const delegateName = (service: string): string => `${service}-delegate`;

/** The name of a service's own waypoint (`services.<svc>.waypoint: own`): `<svc>-waypoint`. */
export const serviceWaypointName = (service: string): string => `${service}-waypoint`;

/** The Gateway API mode's name of a service's HTTPRoute on a platform gateway: `<svc>-ingress`. */
export const gatewayRouteName = (service: string, gateway: "ingress" | "internal"): string => `${service}-${gateway}`;

/** Pure: the root routes of a config's enabled gateways. */
export function rootRoutes(cfg: Pick<StackConfig, "ingress" | "internalGateway">): RootRoute[] {
    const of = (gateway: RootRoute["gateway"]): RootRoute[] =>
        cfg[gateway].enabled
            ? cfg[gateway].routes.map((r, index) => ({ gateway, index, prefix: r.prefix ?? "", ...(r.exact === undefined ? {} : { exact: r.exact }), service: r.service }))
            : [];
    return [...of("ingress"), ...of("internalGateway")];
}

/** Pure: the `platform` stack output of a platform stack's config (typed by its schema, contract/platformOutput.ts). */
export function platformOutputs(cfg: StackConfig): PlatformOutputs {
    return {
        version: PLATFORM_OUTPUT_VERSION,
        layout: "platform",
        namespace: cfg.namespace,
        routes: rootRoutes(cfg),
        gatewayHosts: {
            ingress: cfg.ingress.enabled ? [...cfg.ingress.hosts] : [],
            internalGateway: cfg.internalGateway.enabled ? [...cfg.internalGateway.hosts] : [],
        },
        ...(cfg.routingApi === "gateway-api" ? { routingApi: "gateway-api" as const, routeNamespaces: [cfg.namespace] } : {}),
        ...(cfg.ambient.enabled ? { ambient: { waypoint: cfg.ambient.waypoint } } : {}),
        ...(cfg.ingress.enabled && cfg.ingress.protocol === "HTTP" ? { ingressProtocol: "HTTP" as const } : {}),
    };
}

/**
 * Pure: each service's waypoint against its namespace's mode (`ambient`: the stack's own, or a service stack's
 * platform's; undefined: sidecar mode). In ambient mode a service's HTTPRoutes are applied only by a waypoint (no
 * sidecars), so a service the namespace's waypoint does not serve needs one of its own; in sidecar mode no ztunnel
 * sends traffic to a waypoint, so one of its own would serve nothing.
 */
export function checkServiceWaypoints(cfg: StackConfig, ambient: { waypoint: string } | undefined, where: string): RuleProblem[] {
    const out: RuleProblem[] = [];
    for (const [name, svc] of Object.entries(cfg.services)) {
        const path = `services.${name}.waypoint`;
        if (ambient === undefined && svc.waypoint === "own") {
            out.push({
                propertyPath: path,
                reason: `${path} is "own", but ${where} is not in ambient mode (ambient.enabled); with sidecars no traffic reaches a waypoint, so it would serve nothing`,
                fix: `pulumi config set --path '${path}' namespace   # or turn ambient mode on: pulumi config set --path 'ambient.enabled' true${cfg.layout === "service" ? " (in the platform stack)" : ""}`,
            });
        }
        if (ambient !== undefined && ambient.waypoint === "" && svc.waypoint === "namespace") {
            out.push({
                propertyPath: path,
                reason:
                    `${path} is "namespace", but ${where} is in ambient mode without a namespace waypoint (ambient.waypoint is ""); in ambient mode only a waypoint applies ` +
                    `the service's HTTPRoute (its split, pins and A/B flag), so mesh traffic to ${name} would not be routed by it`,
                fix: `pulumi config set --path '${path}' own   # or give the namespace a waypoint: pulumi config set --path 'ambient.waypoint' waypoint${cfg.layout === "service" ? " (in the platform stack)" : ""}`,
            });
        }
    }
    return out;
}

/** The routing API a platform output says (absent: istio). */
export const platformRoutingApi = (p: Pick<PlatformOutputs, "routingApi">): RoutingApi => p.routingApi ?? "istio";

const rm = (key: string): string => `pulumi config rm '${key}'`;

/**
 * Pure: the layout rules of one stack. `present` is the set of top-level keys the stack's config sets
 * (defaults do not count); `cfg` is the parsed config.
 */
export function checkLayout(present: readonly string[], cfg: StackConfig): RuleProblem[] {
    const layout = cfg.layout;
    const allowed: readonly string[] = LAYOUT_KEYS[layout];
    const out: RuleProblem[] = [];
    for (const key of present) {
        if (allowed.includes(key) || !(key in BELONGS)) {
            continue;
        }
        out.push({
            propertyPath: key,
            reason:
                `${key} is set, but this stack has layout ${show(layout)}, whose keys are ${allowed.join(", ")}; ` +
                `${key} belongs ${BELONGS[key as keyof StackConfig] ?? "elsewhere"}`,
            fix: `${rm(key)} (and set it where it belongs)`,
        });
    }
    if (layout !== "service") {
        return out;
    }
    if (cfg.platformStack === "") {
        out.push({
            propertyPath: "platformStack",
            reason: 'platformStack is missing; a service stack (layout service) must name its environment\'s platform stack, e.g. "production"',
            fix: "pulumi config set platformStack <env>   # the platform stack's name, e.g. production",
        });
    }
    const names = Object.keys(cfg.services);
    if (names.length !== 1) {
        out.push({
            propertyPath: "services",
            reason:
                `services has ${names.length === 0 ? "no service" : `${names.length} services (${names.map((n) => show(n)).join(", ")})`}; ` +
                "a service stack (layout service) holds exactly one service",
            fix:
                names.length === 0
                    ? "pulumi config set --path 'services.<svc>.image' <image> (and the service's other keys)"
                    : `keep one service here and move each other one to its own stack <env>.<svc>: pulumi config rm --path 'services.${names[1] ?? "<svc>"}'`,
        });
    }
    return out;
}

/**
 * A root prefix contains `prefix`: the way Istio nests a delegate's `uri.prefix` in the root's (a string prefix),
 * or with the Gateway API, the way a gateway PathPrefix match covers a path (whole segments).
 */
const nestsIn = (api: RoutingApi) => (prefix: string, root: string): boolean => (api === "gateway-api" ? underPrefix(prefix, root) : prefix.startsWith(root));

/** How a gateway route is named in a message: `ingress.routes[0]` here, or in the platform stack. */
const rootAt = (r: RootRoute, here: boolean): string => `${r.gateway}.routes[${r.index}]${here ? "" : " of the platform stack"}`;

/**
 * Pure: the redirects and URI routes of `service` that take requests on a path a gateway routes to it exactly (a root
 * route with `exact`) by a prefix that covers that path: mesh traffic on the path takes them, but a gateway route on one
 * exact path cannot carry a prefix route (Istio: istiod drops a delegate's `uri.prefix` under a root's `uri.exact`,
 * hasConflict, and the single layout's gateway routes are merged the same way; the Gateway API: the rule would need an
 * Exact match, and a prefix rewrite takes a PathPrefix match only), so gateway traffic would skip them. Refused, in every
 * layout and routing API. `here`: the roots are this stack's (single layout), else the platform stack's.
 */
export function checkExactRoutes(service: string, svc: ServiceConfig, roots: readonly RootRoute[], api: RoutingApi, here: boolean): RuleProblem[] {
    const exacts = roots.filter((r) => r.service === service && r.exact !== undefined);
    const covers = (prefix: string, exact: string): boolean => (api === "gateway-api" ? underPrefix(exact, prefix) : exact.startsWith(prefix));
    const out: RuleProblem[] = [];
    for (const kind of ["uriRoutes", "redirects"] as const) {
        svc[kind].forEach((u: { prefix: string }, i: number) => {
            const root = exacts.find((r) => covers(u.prefix, r.exact ?? ""));
            if (root === undefined) return;
            const path = `services.${service}.${kind}[${i}].prefix`;
            out.push({
                propertyPath: path,
                reason:
                    `${path} is ${show(u.prefix)}, which covers the exact path ${show(root.exact)} that ${rootAt(root, here)} routes to ${service}: mesh traffic on that path ` +
                    `takes this ${kind === "redirects" ? "redirect" : "URI route"}, but a gateway route on one exact path cannot carry a prefix route (${
                        api === "gateway-api" ? "its HTTPRoute rule would need an Exact match" : "istiod drops a delegate's prefix match under an exact root"
                    }), so gateway traffic would skip it`,
                fix: `route ${show(root.exact)} by prefix (${rootAt(root, here)}: prefix ${show(root.exact)} instead of exact), or give ${path} a prefix that does not cover ${show(root.exact)}`,
            });
        });
    }
    return out;
}

/**
 * Pure: the delegate of `service` against the root routes that delegate to it. Each URI prefix the delegate
 * matches on (`uriRoutes[].prefix`, `redirects[].prefix`) must nest in at least one root prefix of the
 * service, else Istio drops that route for gateway traffic while mesh traffic still takes it. With the Gateway API
 * (`api` gateway-api) the same holds for the service's HTTPRoute on the platform's Gateway, which carries the
 * service's rules under the prefixes routed to it (components/gatewayApiPlan.ts rulesUnderPrefixes), by whole path
 * segments. A root on an exact path carries no prefix route: one that covers its path is refused ({@link checkExactRoutes}),
 * any other takes no request on it.
 */
export function checkDelegateNesting(service: string, svc: ServiceConfig, roots: readonly RootRoute[], api: RoutingApi = "istio"): RuleProblem[] {
    const nests = nestsIn(api);
    const how =
        api === "gateway-api"
            ? "the service's HTTPRoute on the platform's Gateway carries a rule under a routed prefix only when its path lies under that prefix (whole path segments)"
            : "istiod merges a delegate's uri match with each root's only when it starts with that root's prefix";
    const exact = checkExactRoutes(service, svc, roots, api, false);
    const mine = roots.filter((r) => r.service === service && r.exact === undefined);
    if (mine.length === 0) {
        return exact;
    }
    const prefixes = [...new Set(mine.map((r) => r.prefix))];
    const out: RuleProblem[] = [];
    // One delegate serves every root that routes to the service (ingress, internal gateway): istiod merges each of its
    // uri matches with each root's, and drops the route for a root whose prefix it does not start with. So a prefix
    // must nest in every root prefix of the service, not just in one.
    const check = (kind: "uriRoutes" | "redirects", list: readonly { prefix: string }[]): void => {
        list.forEach((u, i) => {
            const missed = prefixes.filter((root) => !nests(u.prefix, root));
            if (missed.length === 0) {
                return;
            }
            const path = `services.${service}.${kind}[${i}].prefix`;
            const some = missed.length < prefixes.length;
            out.push({
                propertyPath: path,
                reason:
                    `${path} is ${show(u.prefix)}, which ${some ? `the root route${missed.length > 1 ? "s" : ""} ${missed.map((p) => show(p)).join(", ")} of the platform stack do${missed.length > 1 ? "" : "es"} not cover` : "no root route of the platform stack covers"} ` +
                    `(it routes ${prefixes.map((p) => show(p)).join(", ")} to ${service}); ${how}, so ${some ? "that gateway's" : "gateway"} traffic would never take this route while mesh traffic does`,
                fix:
                    some
                        ? `route the service under one prefix on every gateway (the platform stack's ingress.routes and internalGateway.routes), so that ${show(u.prefix)} nests in each, or drop ${path}`
                        : `pulumi config set --path '${path}' '${prefixes[0] ?? "/"}...' (a prefix under a root route), or add a root route for ${show(u.prefix)} to ${service} in the platform stack's ingress.routes`,
            });
        });
    };
    check("uriRoutes", svc.uriRoutes);
    check("redirects", svc.redirects);
    return [...out, ...exact];
}

/**
 * A service stack's name is `<platformStack>.<svc>` for its one service. Stack names are unique in a project and
 * backend, so this makes one stack the only owner of each service, whoever runs `pulumi up`: a second stack that
 * claimed `checkout` would co-own every checkout object (server-side apply adopts them) and its `destroy` would delete
 * the real service. Checked by the service stack's own program and by the environment check.
 */
export function checkServiceStackName(stack: string, cfg: StackConfig): RuleProblem[] {
    const names = Object.keys(cfg.services);
    if (cfg.layout !== "service" || cfg.platformStack === "" || names.length !== 1) {
        return []; // checkLayout reports those
    }
    const svc = names[0] as string;
    const want = serviceStackName(shortStackName(cfg.platformStack), svc);
    if (shortStackName(stack) === want) {
        return [];
    }
    return [
        {
            propertyPath: `services.${svc}`,
            reason:
                `this service stack is ${show(shortStackName(stack))}, but a service stack of ${show(svc)} with platformStack ${show(cfg.platformStack)} must be named ${show(want)}: ` +
                "stack names are unique, so the name makes this stack the only owner of the service (a second stack holding it would co-own its objects, and destroying that copy would delete the service)",
            fix: `pulumi stack rename ${want} (if no other stack is named so), or hold in this stack the service its name says`,
        },
    ];
}

/**
 * The check a service stack's program runs on its platform stack's `platform` output before creating
 * anything: the stack is named for its service ({@link checkServiceStackName}), the platform stack exports a
 * platform output (`platform`: parsed by its schema, contract/platformOutput.ts; undefined when the stack exports
 * none) and the delegate nests in every root that routes to it.
 */
export function checkServiceAgainstPlatform(cfg: StackConfig, platform: PlatformOutputs | undefined, stack?: string): RuleProblem[] {
    const named = stack === undefined ? [] : checkServiceStackName(stack, cfg);
    const p = platform;
    if (p === undefined) {
        return [
            ...named,
            {
                propertyPath: "platformStack",
                reason:
                    `platformStack is ${show(cfg.platformStack)}, a stack that exports no platform output (a layout ` +
                    `platform stack that has been brought up exports one); it must name this environment's platform stack`,
                fix: `pulumi config set platformStack <env> (the platform stack), and bring that stack up first`,
            },
        ];
    }
    const routes = p.routes;
    if (platformRoutingApi(p) !== cfg.routingApi) {
        return [...named, routingApiMismatch(cfg.routingApi, cfg.platformStack, p.routingApi)];
    }
    const admitted = cfg.routingApi !== "gateway-api" || (p.routeNamespaces ?? []).includes(p.namespace);
    const admits: RuleProblem[] = admitted
        ? []
        : [
              {
                  propertyPath: "platformStack",
                  reason:
                      `platformStack is ${show(cfg.platformStack)}, whose ingress Gateway admits HTTPRoutes of the namespaces ${show(p.routeNamespaces)}, not ${show(p.namespace)} where this service's route goes; ` +
                      "the Gateway would not attach it (a route the platform cannot serve)",
                  fix: `bring the platform stack ${cfg.platformStack} up with this version of the program (its Gateway admits the namespaces of the services it serves), then this stack`,
              },
          ];
    const waypoints = checkServiceWaypoints(cfg, p.ambient, `the platform stack ${show(cfg.platformStack)}'s namespace`);
    const nesting = Object.entries(cfg.services).flatMap(([name, svc]) => [...checkDelegateNesting(name, svc, routes, cfg.routingApi), ...checkRouteTableOnExactRoots(cfg, name, routes)]);
    return [...named, ...admits, ...waypoints, ...nesting];
}

/**
 * Pure: a service stack's route table (`routing.virtualServices.<svc>.http`, carried by its delegate) against the
 * platform's roots that route one exact path to the service: a route whose uri match is a prefix covering that path, or
 * a regex, takes requests on it in the mesh, but istiod drops it under the exact root (a delegate's prefix or regex
 * match conflicts with a root's exact one), so gateway traffic would skip it. Refused, at the route's match.
 */
export function checkRouteTableOnExactRoots(cfg: StackConfig, service: string, roots: readonly RootRoute[]): RuleProblem[] {
    const table = serviceRoutesBefore(cfg, service) ?? [];
    const out: RuleProblem[] = [];
    for (const root of roots.filter((r) => r.service === service && r.exact !== undefined)) {
        for (const c of prefixRoutesCovering(root.exact ?? "", table as HTTPRoute[])) {
            const path = `routing.virtualServices.${service}.http[${c.index}]`;
            out.push({
                propertyPath: path,
                reason:
                    `${path} matches ${c.uri}, which may take requests on the exact path ${show(root.exact)} that ${rootAt(root, false)} routes to ${service}; ` +
                    "istiod drops a delegate's prefix or regex match under an exact root, so gateway traffic would skip this route while mesh traffic takes it",
                fix: `match it by an exact uri, or by a prefix that does not cover ${show(root.exact)} (or route ${show(root.exact)} by prefix in the platform stack)`,
            });
        }
    }
    return out;
}

/**
 * A service stack must route with its platform's API: Istio's root VirtualServices delegate to a delegate a
 * gateway-api service stack does not make, and a Gateway API platform has no root for an Istio one's delegate (and
 * Istio does not support a VirtualService and an HTTPRoute for one workload).
 */
export function routingApiMismatch(mine: RoutingApi, platformStack: string, theirs: unknown): RuleProblem {
    const platformApi = typeof theirs === "string" ? theirs : "istio";
    return {
        propertyPath: "routingApi",
        reason:
            `routingApi is ${show(mine)}, but the platform stack ${show(platformStack)} routes with ${show(platformApi)}; a service stack routes with its platform's API ` +
            (mine === "gateway-api"
                ? "(the platform's root VirtualServices delegate to a delegate VirtualService this stack would not make, and its gateway is no Gateway API Gateway to attach an HTTPRoute to)"
                : "(the platform's Gateway API Gateway has no root VirtualService to delegate to this stack's delegate)"),
        fix: `pulumi config set routingApi ${platformApi}   # or switch the platform stack ${platformStack} first (README, Gateway API: switching a live stack)`,
    };
}

/**
 * A stack with `routingApi: gateway-api`: the args of its Gateway API components (components/gatewayApiPlan.ts) from
 * the same plan the Istio mode builds (stacks/meshPlan.ts), and what this mode refuses, at config paths. Pure: loads
 * no Pulumi SDK.
 *
 * The internal gateway is a plain-HTTP GatewayApiIngress (Gateway `internal`, listener `http` on its port, an
 * HTTPRoute per route); egress is a GatewayApiEgress (components/gatewayApiEgressPlan.ts: TLS passthrough with
 * TLSRoutes, standard channel in v1.6.0), with the REGISTRY_ONLY Sidecar as in the Istio mode.
 *
 * Refused in this mode, each with the stack, path, value, rule and fix (never dropped): what the Gateway API's
 * standard channel cannot say (components/gatewayApiPlan.ts: faults, retries, extra mesh hosts, non-GEP-2257
 * durations, oversized routes), routing's VirtualServices, and a gateway `selector` other than the default (istiod
 * deploys a Gateway of class istio itself; no selector picks its pods).
 *
 * Per-service stacks: the platform stack owns the ingress and internal Gateways (their route listeners admit the
 * namespaces of the services they serve), the HTTP listener's redirect and egress; each service stack owns its
 * HTTPRoutes: the mesh one (parent: its Service) and `<svc>-ingress`, `<svc>-internal` (parent: the platform's
 * Gateway), which carry its rules under the paths the platform routes to it. No delegation.
 */
import {
    checkGatewayPathPrefix,
    ingressRoute,
    planGatewayApiCanary,
    planGatewayApiIngress,
    type GatewayApiCanaryArgs,
    type GatewayApiIngressArgs,
    type GatewayRouteAttachment,
    planWaypoint,
    RESERVED_WAYPOINT,
    USE_WAYPOINT_LABEL,
    type WaypointArgs,
} from "../components/gatewayApiPlan";
import { planGatewayApiEgress, type GatewayApiEgressArgs } from "../components/gatewayApiEgressPlan";
import { own } from "../components/ownKeys";
import { planOnce } from "../components/planOnce";
import { show } from "../components/validation";
import type { Plain } from "../components/inputs";
import { isUnder, setFix } from "../contract/paths";
import { isDeepStrictEqual } from "node:util";
import { egressGatewaySchema, ingressSchema, internalGatewaySchema, type ServiceConfig, type StackConfig } from "../contract/schema";
import { atConfig, EGRESS_NAME, gatewayProblems, INGRESS_NAME, INTERNAL_GATEWAY_NAME, planMeshStack, type MeshPlan } from "./meshPlan";
import { checkServiceWaypoints, gatewayRouteName, serviceWaypointName } from "./layout";
import type { PlatformOutputs } from "../contract/platformOutput";
import type { RuleProblem } from "./ruleProblem";

/** The Gateway API components' args of a stack. */
export interface GatewayApiStackArgs {
    /** One per service: its DestinationRules, version Services and mesh HTTPRoute. */
    canaries: { service: string; args: Plain<GatewayApiCanaryArgs> }[];
    ingress: Plain<GatewayApiIngressArgs> | undefined;
    /** The internal gateway: a plain-HTTP Gateway `internal` on `internalGateway.port`, an HTTPRoute per route. */
    internalGateway: Plain<GatewayApiIngressArgs> | undefined;
    /** Egress (the hosts and the REGISTRY_ONLY Sidecar): the egress Gateway, ServiceEntries and TLSRoutes. */
    egress: Plain<GatewayApiEgressArgs> | undefined;
    /** Ambient waypoints this stack owns: the namespace's (`ambient.waypoint`) and each service's own, with the config path that asks. */
    waypoints: { name: string; owner: string; args: WaypointArgs }[];
}

/** Pure: the waypoints a stack owns (ambient mode): the namespace's (single, platform) and each service's own. */
export function stackWaypoints(cfg: StackConfig, namespace: string): GatewayApiStackArgs["waypoints"] {
    const base = { namespace, skipAwait: cfg.skipAwait, ...(cfg.ambient.waypointFor === undefined ? {} : { waypointFor: cfg.ambient.waypointFor }) };
    const out: GatewayApiStackArgs["waypoints"] = [];
    if (cfg.layout !== "service" && cfg.ambient.enabled && cfg.ambient.waypoint !== "") {
        out.push({ name: cfg.ambient.waypoint, owner: "ambient.waypoint", args: base });
    }
    for (const [name, svc] of cfg.layout === "platform" ? [] : Object.entries(cfg.services)) {
        if (svc.waypoint === "own") out.push({ name: serviceWaypointName(name), owner: `services.${name}.waypoint`, args: base });
    }
    return out;
}

/** The labels that send a service's traffic through its own waypoint (`waypoint: own`), on its Services. */
export function serviceWaypointLabels(service: string, svc: Pick<ServiceConfig, "waypoint">): Record<string, string> {
    return svc.waypoint === "own" ? { [USE_WAYPOINT_LABEL]: serviceWaypointName(service) } : {};
}

/**
 * Pure: the Gateway API components' args of a config, from its mesh plan (the Istio mode's args of each component).
 * A service stack's routes on the platform's Gateway come from its platform stack's output (`platform`; none
 * without it, as in the checks that run before the platform is read).
 */
export function gatewayApiStackArgs(cfg: StackConfig, plan: MeshPlan = planMeshStack(cfg), platform?: PlatformOutputs): GatewayApiStackArgs {
    const targetPorts = new Map(plan.workloads.map((w) => [w.service, w.args.targetPort]));
    const canaries = plan.canaries.map(({ service, args }) => {
        const targetPort = targetPorts.get(service);
        // A service stack's Istio args route through a delegate: each HTTPRoute attaches to its parents itself.
        const { delegate: _delegate, routesBefore: _before, ...rest } = args;
        const gatewayRoutes = cfg.layout === "service" && platform !== undefined ? platformGatewayRoutes(service, platform) : [];
        const svc = own(cfg.services, service);
        const serviceLabels = svc === undefined ? {} : serviceWaypointLabels(service, svc);
        return {
            service,
            args: {
                ...rest,
                ...(targetPort === undefined ? {} : { targetPort }),
                skipAwait: cfg.skipAwait,
                ...(gatewayRoutes.length === 0 ? {} : { gatewayRoutes }),
                ...(Object.keys(serviceLabels).length === 0 ? {} : { serviceLabels }),
            },
        };
    });
    const ing = plan.ingress;
    // The Gateway's own args (the ingress plan's), without routes.
    const gateway =
        ing === undefined
            ? undefined
            : {
                  namespace: ing.namespace,
                  hosts: ing.hosts,
                  ...(ing.tls === undefined ? {} : { tls: ing.tls }),
                  ...(ing.protocol === undefined ? {} : { protocol: ing.protocol }),
                  skipAwait: cfg.skipAwait,
                  ...(ing.httpPort === undefined ? {} : { httpPort: ing.httpPort }),
                  ...(ing.httpsPort === undefined ? {} : { httpsPort: ing.httpsPort }),
              };
    const internal = plan.internalGateway;
    // The internal gateway: one plain-HTTP listener on its port (the Istio mode's one HTTP server).
    const internalGateway =
        internal === undefined
            ? undefined
            : {
                  namespace: internal.namespace,
                  hosts: internal.hosts,
                  protocol: "HTTP" as const,
                  httpPort: internal.port ?? 80,
                  // Reached from the cluster only, as the Istio mode's internal gateway pods are (and so not ingress for the policy pack).
                  serviceType: "ClusterIP" as const,
                  skipAwait: cfg.skipAwait,
              };
    const egress: Plain<GatewayApiEgressArgs> | undefined =
        plan.egress === undefined
            ? undefined
            : { namespace: plan.egress.namespace, hosts: plan.egress.hosts, registryOnly: plan.egress.registryOnly === true, skipAwait: cfg.skipAwait };
    const waypoints = stackWaypoints(cfg, plan.namespace);
    if (cfg.layout === "platform") {
        // The platform owns the Gateways and the redirect; the service stacks own the routes (platformGatewayRoutes).
        const admitting = <T extends object>(g: T | undefined) => (g === undefined ? undefined : { ...g, routeNamespaces: [cfg.namespace], routes: [] });
        return { canaries, ingress: admitting(gateway), internalGateway: admitting(internalGateway), egress, waypoints };
    }
    const meshRulesOf = new Map(
        canaries.map((c) => {
            const p = planOnce(planGatewayApiCanary, c.args, c.service);
            return [c.service, p.problems.length === 0 ? p.httpRoute.rules : undefined] as const;
        }),
    );
    const routesOf = (routes: StackConfig["ingress"]["routes"]): Plain<GatewayApiIngressArgs>["routes"] =>
        routes.map((r) => {
            const svc = own(cfg.services, r.service);
            // The route's path as the config says it (the component checks that exactly one is set).
            const path = { ...(r.prefix === undefined ? {} : { prefix: r.prefix }), ...(r.exact === undefined ? {} : { exact: r.exact }) };
            // An unknown service is reported by rules.ts; route to its name so the plan stays total.
            if (svc === undefined) {
                return { ...path, service: r.service, backends: [{ name: r.service, port: 80 }] };
            }
            const versions = svc.canary.version === undefined ? { stable: svc.stable.version } : { stable: svc.stable.version, canary: svc.canary.version };
            const canary = plan.canaries.find((c) => c.service === r.service)?.args.canary;
            // The service's mesh rules under the prefix: gateway traffic gets its pins, A/B flag, URI routes and sessions too.
            const rules = meshRulesOf.get(r.service);
            // The route's own `path` (a route that sets both or neither is the component's to refuse).
            const at = r.exact !== undefined && r.prefix === undefined ? { exact: r.exact } : { prefix: r.prefix ?? "" };
            const { prefix: _prefix, exact: _exact, ...route } = ingressRoute(at, r.service, svc.port, versions, canary);
            return { ...route, ...path, ...(rules === undefined ? {} : { rules }) };
        });
    return {
        canaries,
        ingress: gateway === undefined ? undefined : { ...gateway, routes: routesOf(cfg.ingress.routes) },
        internalGateway: internalGateway === undefined ? undefined : { ...internalGateway, routes: routesOf(cfg.internalGateway.routes) },
        egress,
        waypoints,
    };
}

/**
 * A service stack's HTTPRoutes on its platform's Gateways: one per gateway that routes to it (`<svc>-ingress` on the
 * ingress, `<svc>-internal` on the internal gateway), under every path routed to it there.
 */
export function platformGatewayRoutes(service: string, platform: PlatformOutputs): GatewayRouteAttachment[] {
    if (platform.routingApi !== "gateway-api") {
        return [];
    }
    const gateways = [
        // A plain-HTTP ingress has one listener, `http`, that the routes attach to; the internal gateway is plain HTTP.
        { key: "ingress", route: "ingress", gateway: INGRESS_NAME, sectionName: platform.ingressProtocol === "HTTP" ? "http" : "https" },
        { key: "internalGateway", route: "internal", gateway: INTERNAL_GATEWAY_NAME, sectionName: "http" },
    ] as const;
    return gateways.flatMap((g) => {
        const mine = platform.routes.filter((r) => r.gateway === g.key && r.service === service);
        if (mine.length === 0) return [];
        const prefixes = mine.flatMap((r) => (r.exact === undefined ? [r.prefix] : []));
        const exacts = mine.flatMap((r) => (r.exact === undefined ? [] : [r.exact]));
        return [
            {
                name: gatewayRouteName(service, g.route),
                parent: { name: g.gateway, namespace: platform.namespace, sectionName: g.sectionName },
                hostnames: platform.gatewayHosts[g.key].filter((h) => h !== "*"),
                prefixes: [...new Set(prefixes)],
                ...(exacts.length === 0 ? {} : { exacts: [...new Set(exacts)] }),
            },
        ];
    });
}

const ISTIO_FIX = "pulumi config set routingApi istio";

/** Keys of a service the Gateway API mode refuses outright: removing them is the fix. */
const REMOVABLE = new Set(["faults", "retries", "hosts"]);

/** What this mode refuses of the stack's own keys (not of a component's args), at the key that asks for it. */
function refusedKeys(cfg: StackConfig): RuleProblem[] {
    const out: RuleProblem[] = [];
    for (const name of Object.keys(cfg.routing.virtualServices)) {
        out.push({
            propertyPath: `routing.virtualServices.${name}`,
            reason:
                `routing.virtualServices.${name} is set but routingApi is "gateway-api"; Istio does not support a VirtualService and an HTTPRoute ` +
                "routing the same workloads, and this mode routes every service with HTTPRoutes: keep routing's DestinationRules, ServiceEntries, " +
                "Gateways and Sidecars, and route with routingApi istio",
            fix: `pulumi config rm --path 'routing.virtualServices.${name}'   # or: ${ISTIO_FIX}`,
        });
    }
    // istiod deploys a Gateway of class istio itself (`<name>-istio`): no selector picks existing gateway pods.
    const selectors = [
        ["ingress.selector", cfg.ingress.enabled, cfg.ingress.selector, ingressSchema.shape.selector],
        ["internalGateway.selector", cfg.internalGateway.enabled, cfg.internalGateway.selector, internalGatewaySchema.shape.selector],
        ["egressGateway.selector", cfg.egress.length > 0, cfg.egressGateway.selector, egressGatewaySchema.shape.selector],
    ] as const;
    for (const [path, used, value, schema] of selectors) {
        if (used && !isDeepStrictEqual(value, schema.parse(undefined))) {
            out.push({
                propertyPath: path,
                reason:
                    `${path} is ${show(value)}; with routingApi gateway-api istiod deploys the gateway of a Gateway of class istio itself ` +
                    "(Deployment and Service <gateway>-istio), so no selector picks existing gateway pods: remove it (its pods are then unused) or use routingApi istio",
                fix: `pulumi config rm --path '${path}'   # or: ${ISTIO_FIX}`,
            });
        }
    }
    if (cfg.egress.length > 0 && cfg.egressGateway.gatewayService !== egressGatewaySchema.shape.gatewayService.parse(undefined)) {
        out.push({
            propertyPath: "egressGateway.gatewayService",
            reason:
                `egressGateway.gatewayService is ${show(cfg.egressGateway.gatewayService)}; with routingApi gateway-api the egress gateway's Service is the one istiod ` +
                `makes for the Gateway "${EGRESS_NAME}" (${EGRESS_NAME}-istio in the stack's namespace), so another cannot be named: remove it or use routingApi istio`,
            fix: `pulumi config rm --path 'egressGateway.gatewayService'   # or: ${ISTIO_FIX}`,
        });
    }
    return out;
}

/**
 * Every problem of a `routingApi: gateway-api` config at its config path (none in the Istio mode): the refusals, and
 * the Gateway API components' own checks (a Canary's and an IngressGateway's repeat the Istio mode's, and are
 * reported once: stacks/config.ts keeps each problem once).
 */
export function checkGatewayApi(cfg: StackConfig, args: GatewayApiStackArgs = gatewayApiStackArgs(cfg)): RuleProblem[] {
    if (cfg.routingApi !== "gateway-api") {
        return [];
    }
    const out = refusedKeys(cfg);
    for (const c of args.canaries) {
        const p = `services.${c.service}`;
        // A service stack's routes on its platform's Gateway are checkGatewayApiService's, after the platform's own rules.
        const own = planOnce(planGatewayApiCanary, c.args, c.service).problems.filter((x) => !isUnder(x.propertyPath, "gatewayRoutes"));
        for (const problem of atConfig(own, [["namespace", "namespace"], ["service", p]], p)) {
            const key = problem.propertyPath.slice(p.length + 1);
            out.push(REMOVABLE.has(key) ? { ...problem, fix: `pulumi config rm --path '${problem.propertyPath}'   # or: ${ISTIO_FIX}` } : problem);
        }
    }
    if (args.ingress !== undefined && (cfg.ingress.tls !== undefined || cfg.ingress.protocol === "HTTP")) {
        // A missing ingress.tls is reported once, by rules.ts.
        const routes = cfg.ingress.routes.flatMap((_, i) => [[`routes[${i}].backends`, `ingress.routes[${i}].service`] as const, [`routes[${i}]`, `ingress.routes[${i}]`] as const]);
        // (`routes[i].prefix` falls through to ingress.routes[i].prefix.) A rule that covers an exact route's path
        // (`routes[i].rules`) is reported at the service's key, by layout.ts checkExactRoutes.
        out.push(...gatewayProblems(planOnce(planGatewayApiIngress, args.ingress, INGRESS_NAME).problems, [["namespace", "namespace"], ...routes], "ingress"));
    }
    if (args.internalGateway !== undefined) {
        const routes = cfg.internalGateway.routes.flatMap((_, i) => [[`routes[${i}].backends`, `internalGateway.routes[${i}].service`] as const, [`routes[${i}]`, `internalGateway.routes[${i}]`] as const]);
        const map = [["namespace", "namespace"], ["httpPort", "internalGateway.port"], ...routes] as const;
        out.push(...gatewayProblems(planOnce(planGatewayApiIngress, args.internalGateway, INTERNAL_GATEWAY_NAME).problems, map, "internalGateway"));
    }
    if (args.egress !== undefined) {
        // The EgressGateway's own checks are the Istio mode's (meshPlan.ts checkMeshPlan), reported once.
        out.push(...atConfig(planOnce(planGatewayApiEgress, args.egress, EGRESS_NAME).problems, [["namespace", "namespace"], ["hosts", "egress"]], "egress"));
    }
    if (cfg.layout === "platform") {
        // The service stacks' HTTPRoutes match these paths: the CRD's rules for a path match, checked here.
        const routed = [...(cfg.ingress.enabled ? [["ingress", cfg.ingress.routes] as const] : []), ...(cfg.internalGateway.enabled ? [["internalGateway", cfg.internalGateway.routes] as const] : [])];
        for (const [key, routes] of routed) routes.forEach((r, i) => {
            for (const [field, value] of [["prefix", r.prefix], ["exact", r.exact]] as const) {
                // (an exact path not starting with "/" is refused once, by the IngressGateway's checks)
                if (value === undefined || (field === "exact" && !value.startsWith("/"))) continue;
                const path = `${key}.routes[${i}].${field}`;
                out.push(...checkGatewayPathPrefix(path, value, field === "exact" ? "an exact path" : undefined).map((p) => ({ ...p, fix: setFix(path) })));
            }
        });
    }
    return out;
}

/**
 * A gateway-api service stack against its platform stack's output (run by its program before anything is
 * registered, with the args of its plan, `planned`; and by the environment check): the components' checks of its HTTPRoute on the platform's Gateway
 * (its rules under the routed prefixes: the CRD's size limits), at config paths. The rest (same routing API, the
 * namespace admitted, URI routes under the routed prefixes) is layout.ts checkServiceAgainstPlatform's.
 */
export function checkGatewayApiService(cfg: StackConfig, platform: PlatformOutputs, planned?: GatewayApiStackArgs): RuleProblem[] {
    if (cfg.routingApi !== "gateway-api" || cfg.layout !== "service" || platform.routingApi !== "gateway-api") {
        return [];
    }
    const args = planned ?? gatewayApiStackArgs(cfg, planMeshStack(cfg, undefined, platform), platform);
    const out: RuleProblem[] = [];
    for (const c of args.canaries) {
        const p = `services.${c.service}`;
        // A rule that covers an exact path the platform routes here (`gatewayRoutes[i].exacts`) is layout.ts checkDelegateNesting's.
        const problems = planOnce(planGatewayApiCanary, c.args, c.service).problems.filter((x) => x.code !== "exact-path-covered");
        out.push(...atConfig(problems, [["namespace", "namespace"], ["service", p], ["gatewayRoutes", p]], p));
    }
    return out;
}

/**
 * Ambient mode's rules (`ambient`, `services.<svc>.waypoint`), in either routing API, at config paths: ambient needs
 * the Gateway API (a waypoint takes HTTPRoutes; a VirtualService on a waypoint is alpha in Istio) and a namespace
 * this stack labels; a namespace waypoint needs ambient mode; each service needs a waypoint in ambient mode, and one
 * of its own only then (a service stack's are checked against its platform's output: layout.ts).
 */
export function checkAmbient(cfg: StackConfig, waypoints: GatewayApiStackArgs["waypoints"] = stackWaypoints(cfg, cfg.namespace)): RuleProblem[] {
    const out: RuleProblem[] = [];
    const a = cfg.ambient;
    if (a.enabled && cfg.routingApi !== "gateway-api") {
        out.push({
            propertyPath: "ambient.enabled",
            reason:
                'ambient.enabled is true but routingApi is "istio"; in ambient mode a waypoint applies the routes, and Istio supports HTTPRoutes there ' +
                "(a VirtualService on a waypoint is alpha: Istio's ambient docs ask for the Gateway API)",
            fix: "pulumi config set routingApi gateway-api   # or: pulumi config set --path 'ambient.enabled' false",
        });
    }
    if (a.enabled && cfg.layout !== "service" && !cfg.createNamespace) {
        out.push({
            propertyPath: "ambient.enabled",
            reason: "ambient.enabled is true but createNamespace is false; ambient mode is the namespace label istio.io/dataplane-mode=ambient, which this stack sets on the namespace it creates",
            fix: "pulumi config set createNamespace true   # or label the namespace yourself and turn ambient.enabled off",
        });
    }
    if (!a.enabled && (a.waypoint !== "" || a.waypointFor !== undefined)) {
        const path = a.waypoint !== "" ? "ambient.waypoint" : "ambient.waypointFor";
        out.push({
            propertyPath: path,
            reason: `${path} is set but ambient.enabled is false; waypoints serve ambient-mode namespaces only (with sidecars no traffic reaches them)`,
            fix: `pulumi config set --path 'ambient.enabled' true   # or: pulumi config rm --path '${path}'`,
        });
    }
    if (a.waypoint === RESERVED_WAYPOINT) {
        out.push({
            propertyPath: "ambient.waypoint",
            reason: 'ambient.waypoint is "none"; Istio reserves it (istio.io/use-waypoint: none opts out of a namespace\'s waypoint)',
            fix: "pulumi config set --path 'ambient.waypoint' waypoint",
        });
    }
    for (const w of waypoints) {
        out.push(...atConfig(planOnce(planWaypoint, w.args, w.name).problems.filter((p) => p.propertyPath !== "name"), [["namespace", "namespace"]], w.owner));
    }
    if (cfg.layout !== "service") {
        out.push(...checkServiceWaypoints(cfg, a.enabled ? { waypoint: a.waypoint } : undefined, "this stack's namespace"));
    }
    return out;
}

/**
 * The stack's plan: typed config in, the args of every component and the stack outputs out. Environments differ
 * by config only. Pure, and loads no Pulumi SDK: the config check (stacks/config.ts) runs it to report every
 * component's problem at the config key that caused it, and stacks/meshStack.ts builds the components from it.
 *
 * {@link planMeshStack} turns a {@link StackConfig} into the args of every component (and the config path each
 * component's args came from, so the config layer can report a component's problem at the config key that caused
 * it).
 */
import type { CanaryArgs } from "../components/canaryPlan";
import type { Plain } from "../components/inputs";
import { canaryRoutes, planCanary } from "../components/canaryPlan";
import { DestinationRuleClaims } from "../components/destinationRuleClaims";
import type { EgressGatewayArgs } from "../components/egressGatewayPlan";
import { planEgressGateway } from "../components/egressGatewayPlan";
import { egressObjectName } from "../components/gatewayApiEgressPlan";
import type { IngressGatewayArgs } from "../components/ingressGatewayPlan";
import { planIngressGateway } from "../components/ingressGatewayPlan";
import type { InternalGatewayArgs } from "../components/internalGatewayPlan";
import { planIstioRouting, releasedServices, type IstioRoutingArgs } from "../components/istioRoutingPlan";
import { planInternalGateway } from "../components/internalGatewayPlan";
import { own } from "../components/ownKeys";
import { planOnce } from "../components/planOnce";
import { liveWeights, type CanaryPin, type GatewayRouteArgs, type Weights } from "../components/routes";
import type { LoadBalancerArgs, TrafficPolicyArgs } from "../components/trafficPolicy";
import { show, type Problem } from "../components/validation";
import type { WorkloadsArgs } from "../components/workloadsPlan";
import { planWorkloads } from "../components/workloadsPlan";
import { ROUTING_KEYS } from "../contract/istioKinds";
import { isUnder, mentionOf, setFix } from "../contract/paths";
import { uniqueProblems } from "../contract/problems";
import type { ServiceConfig, StackConfig, TrafficPolicyConfig } from "../contract/schema";
import { delegateName, gatewayRouteName, platformOutputs, serviceWaypointName } from "./layout";
import type { PlatformOutputs } from "../contract/platformOutput";
import { USE_WAYPOINT_LABEL } from "../components/gatewayApiPlan";
import { serviceRoutesBefore } from "./serviceRouting";
import type { RuleProblem } from "./ruleProblem";

/** Component names: fixed, so URNs never depend on config order. */
export const INGRESS_NAME = "ingress";
export const INTERNAL_GATEWAY_NAME = "internal";
export const EGRESS_NAME = "egress";
export const ROUTING_NAME = "routing";

/** Args of every component of a stack, with where in config each came from. */
export interface MeshPlan {
    namespace: string;
    createNamespace: boolean;
    skipAwait: boolean;
    /** One per service: Deployments per version and the Service. */
    workloads: { service: string; args: Plain<WorkloadsArgs> }[];
    /** One per service: its DestinationRule (subsets + circuit breaker) and mesh VirtualService. */
    canaries: { service: string; args: Plain<CanaryArgs> }[];
    ingress: Plain<IngressGatewayArgs> | undefined;
    internalGateway: Plain<InternalGatewayArgs> | undefined;
    egress: Plain<EgressGatewayArgs> | undefined;
    /** The `routing` key's Istio objects (single and platform stacks), with what the rest of the stack makes. */
    routing: Plain<IstioRoutingArgs> | undefined;
}

/** `{ simple, consistentHash }` config -> the components' one-of union (rules.ts checks exactly one). */
export function toTrafficPolicyArgs(tp: TrafficPolicyConfig | undefined): TrafficPolicyArgs | undefined {
    if (tp === undefined) {
        return undefined;
    }
    const { loadBalancer, ...rest } = tp;
    const lb: LoadBalancerArgs | undefined =
        loadBalancer?.simple !== undefined
            ? { simple: loadBalancer.simple }
            : loadBalancer?.consistentHash !== undefined
              ? // The component checks that exactly one hash key is set; the cast only narrows the union.
                { consistentHash: loadBalancer.consistentHash as Extract<LoadBalancerArgs, { consistentHash: unknown }>["consistentHash"] }
              : undefined;
    return { ...rest, ...(lb === undefined ? {} : { loadBalancer: lb }) };
}

/** A pin from config: a cookie pin when `cookie` is set, else a header pin. */
function toPin(p: ServiceConfig["pins"][number]): CanaryPin {
    if (p.cookie !== undefined) {
        return { cookie: p.cookie, value: p.value ?? "" };
    }
    return {
        header: p.header ?? "",
        ...(p.exact === undefined ? {} : { exact: p.exact }),
        ...(p.prefix === undefined ? {} : { prefix: p.prefix }),
        ...(p.regex === undefined ? {} : { regex: p.regex }),
    };
}

const imageOf = (svc: ServiceConfig, version: string, image: string | undefined): string =>
    image ?? (svc.image ?? "").split("{version}").join(version);

function workloadsArgs(name: string, svc: ServiceConfig, cfg: StackConfig, namespace: string): Plain<WorkloadsArgs> {
    const versions = [{ version: svc.stable.version, image: imageOf(svc, svc.stable.version, svc.stable.image), replicas: svc.stable.replicas ?? svc.replicas }];
    const cv = svc.canary.version;
    if (cv !== undefined) {
        versions.push({ version: cv, image: imageOf(svc, cv, svc.canary.image), replicas: svc.canary.replicas ?? svc.replicas });
    }
    return {
        namespace,
        app: name,
        versions,
        port: svc.port,
        ...(svc.targetPort === undefined ? {} : { targetPort: svc.targetPort }),
        skipAwait: cfg.skipAwait,
        // Ambient mode: a service with a waypoint of its own sends its traffic through it (the label on its Service).
        ...(svc.waypoint === "own" ? { serviceLabels: { [USE_WAYPOINT_LABEL]: serviceWaypointName(name) } } : {}),
    };
}

function canaryArgs(name: string, svc: ServiceConfig, namespace: string, claims: DestinationRuleClaims, delegate: boolean): Plain<CanaryArgs> {
    const stablePolicy = toTrafficPolicyArgs(svc.stable.trafficPolicy);
    const canaryPolicy = toTrafficPolicyArgs(svc.canary.trafficPolicy);
    const trafficPolicy = toTrafficPolicyArgs(svc.trafficPolicy);
    return {
        namespace,
        service: name,
        port: svc.port,
        ...(svc.hosts === undefined ? {} : { hosts: svc.hosts }),
        stable: { version: svc.stable.version, ...(stablePolicy === undefined ? {} : { trafficPolicy: stablePolicy }) },
        canary: {
            ...(svc.canary.version === undefined ? {} : { version: svc.canary.version }),
            weight: svc.canary.weight,
            routed: svc.canary.routed,
            ...(canaryPolicy === undefined ? {} : { trafficPolicy: canaryPolicy }),
            ...(svc.canary.sessionAffinity === undefined ? {} : { sessionAffinity: svc.canary.sessionAffinity }),
            ...(svc.canary.revision === undefined ? {} : { revision: svc.canary.revision }),
        },
        ...(trafficPolicy === undefined ? {} : { trafficPolicy }),
        pins: svc.pins.map(toPin),
        ...(svc.abTest === undefined ? {} : { abTest: svc.abTest }),
        redirects: svc.redirects,
        uriRoutes: svc.uriRoutes,
        ...(svc.mirror === undefined ? {} : { mirror: svc.mirror }),
        ...(svc.timeout === undefined ? {} : { timeout: svc.timeout }),
        ...(svc.retries === undefined ? {} : { retries: svc.retries }),
        ...(svc.faults === undefined ? {} : { faults: svc.faults }),
        claims,
        ...(delegate ? { delegate: { name: delegateName(name) } } : {}),
    };
}

/** The catch-all weights of a service, as its mesh VirtualService and gateway routes split traffic. */
export function serviceWeights(svc: ServiceConfig): Weights {
    return liveWeights(svc.canary);
}

/**
 * Gateway routes to services. In a platform stack each is a root route delegating to the service's delegate
 * VirtualService, which holds all of the service's routes. In a single stack each carries the service's routes
 * (those of its mesh VirtualService: pins, A/B, faults, redirects, URI routes, retries, timeout, mirror, the
 * weighted catch-all) under its prefix, merged as istiod merges that delegation, so both layouts give the
 * gateway the same routes.
 */
function gatewayRoutes(routes: readonly { prefix?: string; exact?: string; service: string }[], cfg: StackConfig, canaries: MeshPlan["canaries"]): GatewayRouteArgs[] {
    // The route's URI match as the config says it (the component checks that exactly one is set).
    const uri = (r: { prefix?: string; exact?: string }) => ({ ...(r.prefix === undefined ? {} : { prefix: r.prefix }), ...(r.exact === undefined ? {} : { exact: r.exact }) });
    if (cfg.layout === "platform") {
        return routes.map((r) => ({ ...uri(r), host: r.service, delegate: { name: delegateName(r.service), namespace: cfg.namespace } }));
    }
    return routes.map((r) => {
        const svc = own(cfg.services, r.service);
        const canary = canaries.find((c) => c.service === r.service);
        // An unknown service is reported by rules.ts, a service's bad routing by its Canary's checks at
        // services.<svc>: route to the name as given, or split by its weights, so the plan stays total.
        if (svc === undefined || canary === undefined) {
            return { ...uri(r), host: r.service };
        }
        const carried = canaryRoutes(canary.args);
        return carried === undefined
            ? { ...uri(r), host: r.service, port: svc.port, weights: serviceWeights(svc) }
            : { ...uri(r), host: r.service, port: svc.port, routes: carried };
    });
}

/**
 * Pure: the args of every component of a stack. `claims` is the stack's one-DestinationRule-per-host registry.
 * A service stack's objects go to its platform stack's namespace (`platform`, read from the platform stack; the
 * config's own `namespace` when absent, as in the checks that run before the platform is read). A service
 * stack has no namespace, gateways or egress of its own; a platform stack has no services. The args hold values of a
 * copy of `given`: a component's plan freezes its args' data when it is stored (components/planOnce.ts), which must
 * not freeze the caller's config.
 */
export function planMeshStack(
    given: StackConfig,
    claims: DestinationRuleClaims = new DestinationRuleClaims(),
    platform?: Pick<PlatformOutputs, "namespace">,
): MeshPlan {
    const cfg = structuredClone(given);
    const layout = cfg.layout;
    const namespace = layout === "service" ? (platform?.namespace ?? cfg.namespace) : cfg.namespace;
    const services = layout === "platform" ? [] : Object.entries(cfg.services);
    const ing = cfg.ingress;
    const internal = cfg.internalGateway;
    if (layout === "service") {
        return {
            namespace,
            createNamespace: false,
            skipAwait: cfg.skipAwait,
            workloads: services.filter(([, svc]) => svc.deploy).map(([name, svc]) => ({ service: name, args: workloadsArgs(name, svc, cfg, namespace) })),
            canaries: services.map(([name, svc]) => {
                // The service's route table (routing.virtualServices.<svc>, stacks/serviceRouting.ts) goes first in its delegate.
                const before = serviceRoutesBefore(cfg, name);
                const args = canaryArgs(name, svc, namespace, claims, true);
                return { service: name, args: before === undefined || before.length === 0 ? args : { ...args, routesBefore: before } };
            }),
            ingress: undefined,
            internalGateway: undefined,
            egress: undefined,
            routing: undefined,
        };
    }
    const base = services.map(([name, svc]) => ({ service: name, args: canaryArgs(name, svc, namespace, claims, false) }));
    // A routing VirtualService that releases a service for the mesh takes the place of its own: which ones depends
    // on the services' hosts only (a Canary's plan's hosts: `hosts`, else the service), so each Canary's args are
    // final before its plan runs, once, for the routing context below and for its component.
    const released = releasedServices({
        namespace: cfg.namespace,
        objects: cfg.routing,
        context: { serviceRoutes: Object.fromEntries(base.map((c) => [c.service, { hosts: c.args.hosts ?? [c.service], http: [] }])) },
    });
    const canaries = base.map((c) => ({ service: c.service, args: released.includes(c.service) ? { ...c.args, virtualService: false } : c.args }));
    const routing = routingArgs(cfg, canaries);
    return {
        namespace: cfg.namespace,
        createNamespace: cfg.createNamespace,
        skipAwait: cfg.skipAwait,
        workloads: services.filter(([, svc]) => svc.deploy).map(([name, svc]) => ({ service: name, args: workloadsArgs(name, svc, cfg, namespace) })),
        canaries,
        ingress: !ing.enabled
            ? undefined
            : {
                  namespace: cfg.namespace,
                  hosts: ing.hosts,
                  selector: ing.selector,
                  // HTTPS: a missing tls is reported by rules.ts at ingress.tls; the component needs a mode to plan.
                  // HTTP: tls given anyway is passed on, for the component to refuse.
                  ...(ing.protocol === "HTTP" ? { protocol: "HTTP" as const } : {}),
                  ...(ing.protocol === "HTTP" && ing.tls === undefined
                      ? {}
                      : { tls: { mode: ing.tls?.mode ?? "SIMPLE", ...(ing.tls?.credentialName === undefined ? {} : { credentialName: ing.tls.credentialName }) } }),
                  httpPort: ing.httpPort,
                  ...(ing.httpsPort === undefined ? {} : { httpsPort: ing.httpsPort }),
                  routes: gatewayRoutes(ing.routes, cfg, canaries),
              },
        internalGateway: !internal.enabled
            ? undefined
            : {
                  namespace: cfg.namespace,
                  hosts: internal.hosts,
                  selector: internal.selector,
                  port: internal.port,
                  routes: gatewayRoutes(internal.routes, cfg, canaries),
              },
        egress:
            cfg.egress.length === 0 && !cfg.egressGateway.registryOnly
                ? undefined
                : {
                      namespace: cfg.namespace,
                      hosts: cfg.egress,
                      selector: cfg.egressGateway.selector,
                      gatewayService: cfg.egressGateway.gatewayService,
                      registryOnly: cfg.egressGateway.registryOnly,
                      claims,
                  },
        routing,
    };
}

/** The `routing` key as the IstioRouting component's args, with what the rest of the stack makes; undefined when empty. */
function routingArgs(cfg: StackConfig, canaries: MeshPlan["canaries"]): Plain<IstioRoutingArgs> | undefined {
    const r = cfg.routing;
    if (Object.values(r).every((byName) => Object.keys(byName).length === 0)) {
        return undefined;
    }
    const services = cfg.layout === "platform" ? [] : Object.entries(cfg.services);
    return {
        namespace: cfg.namespace,
        objects: r,
        context: {
            gateways: [
                ...(cfg.ingress.enabled ? [INGRESS_NAME] : []),
                ...(cfg.internalGateway.enabled ? [INTERNAL_GATEWAY_NAME] : []),
                ...(cfg.egress.length > 0 ? [EGRESS_NAME] : []),
            ],
            serviceHosts: Object.fromEntries(
                services.flatMap(([name, svc]) => {
                    const subsets = ["stable", ...(svc.canary.version === undefined ? [] : ["canary"])];
                    return [name, ...(svc.hosts ?? [])].map((h): [string, string[]] => [h, subsets]);
                }),
            ),
            serviceRoutes: Object.fromEntries(
                canaries.map((c) => {
                    const plan = planOnce(planCanary, c.args, c.service);
                    return [c.service, { hosts: plan.hosts, http: plan.http }];
                }),
            ),
            ...(cfg.layout === "platform"
                ? { releaseRefused: "a platform stack has no services to release: route gateway traffic to a service with ingress.routes / internalGateway.routes (they delegate to the service stack's routes), or use release in a single-layout stack" }
                : {}),
            defaultSidecar: cfg.egressGateway.registryOnly,
        },
    };
}

// ---------------------------------------------------------------------------------------------
// The components' own checks, reported at config paths.

/** Rewrites a component's property path to the config path it came from: first matching `[from, to]` wins. */
export type PathMap = ReadonlyArray<readonly [from: string, to: string]>;

/** The config path of a component property path; `fallback` prefixes paths no rule maps. */
export function configPathOf(path: string, map: PathMap, fallback: string): string {
    for (const [from, to] of map) {
        if (isUnder(path, from)) {
            return to + path.slice(from.length);
        }
    }
    return path === "" ? fallback : `${fallback}.${path}`;
}

export function atConfig(problems: readonly Problem[], map: PathMap, fallback: string): RuleProblem[] {
    return problems.map((p) => {
        const propertyPath = configPathOf(p.propertyPath, map, fallback);
        // The component names its own path in the reason ("canary.weight is 120; ..."): name the config path.
        const own = mentionOf([p.propertyPath], "g");
        const reason = p.propertyPath !== "" && own.test(p.reason) ? p.reason.replace(own, `$1${propertyPath}`) : `${propertyPath}: ${p.reason}`;
        return { propertyPath, reason, fix: setFix(propertyPath) };
    });
}

/**
 * Every problem the components would throw for this config, at the config path that caused it: runs their
 * pure plans (nothing is registered), so Istio's value rules live in one place, components/. Duplicate
 * reports of one shared key (e.g. `namespace`, checked by every component) are dropped.
 */
export function checkMeshPlan(cfg: StackConfig, plan: MeshPlan = planMeshStack(cfg)): RuleProblem[] {
    const ns: readonly [string, string] = ["namespace", "namespace"];
    const out: RuleProblem[] = [];
    for (const w of plan.workloads) {
        const p = `services.${w.service}`;
        const [stable, canary] = w.args.versions;
        if (canary !== undefined && canary.version === stable?.version) {
            continue; // rules.ts reports canary.version == stable.version with a better message
        }
        const versions: [string, string][] = [["versions[0]", `${p}.stable`], ["versions[1]", `${p}.canary`], ["versions", p]];
        // A missing image is reported once, by rules.ts, not again as each version's empty image.
        const noImage = own(cfg.services, w.service)?.image === undefined;
        const problems = planOnce(planWorkloads, w.args).problems.filter((x) => !(noImage && /^versions\[\d+\]\.image$/.test(x.propertyPath)));
        out.push(...atConfig(problems, [ns, ["app", p], ...versions], p));
    }
    for (const c of plan.canaries) {
        const p = `services.${c.service}`;
        out.push(...atConfig(planOnce(planCanary, c.args, c.service).problems, [ns, ["service", p], ["routesBefore", `routing.virtualServices.${c.service}.http`]], p));
    }
    if (plan.ingress !== undefined && (cfg.ingress.tls !== undefined || cfg.ingress.protocol === "HTTP")) {
        // A missing ingress.tls is reported once, by rules.ts.
        out.push(...gatewayProblems(planOnce(planIngressGateway, plan.ingress, INGRESS_NAME).problems, [ns], "ingress"));
    }
    if (plan.internalGateway !== undefined) {
        out.push(...gatewayProblems(planOnce(planInternalGateway, plan.internalGateway, INTERNAL_GATEWAY_NAME).problems, [ns], "internalGateway"));
    }
    if (plan.egress !== undefined) {
        const map: PathMap = [ns, ["hosts", "egress"], ["gatewayService", "egressGateway.gatewayService"], ["selector", "egressGateway.selector"]];
        out.push(...atConfig(planOnce(planEgressGateway, plan.egress, EGRESS_NAME).problems, map, "egress"));
    }
    if (plan.routing !== undefined) {
        out.push(...atConfig(planOnce(planIstioRouting, plan.routing).problems, [], "routing"));
    }
    return uniqueProblems(out);
}

/**
 * A gateway component's problems at config paths (`key`: ingress, internalGateway; `map` as {@link atConfig}'s), with the
 * fix for the ones a `set` does not fix: a route with both or neither of prefix and exact; tls or httpsPort given to a
 * plain-HTTP ingress. A carried route that covers an exact route's path is left to layout.ts checkExactRoutes, which
 * names the service's key that makes it (`services.<svc>.uriRoutes[j].prefix`).
 */
export function gatewayProblems(problems: readonly Problem[], map: PathMap, key: "ingress" | "internalGateway"): RuleProblem[] {
    const kept = problems.filter((p) => p.code !== "exact-path-covered");
    return atConfig(kept, map, key).map((p, i) => {
        switch (kept[i]?.code) {
            case "route-uri-both":
                return { ...p, fix: `pulumi config rm --path '${p.propertyPath}.exact'   # or rm its prefix: keep one` };
            case "route-uri-neither":
                return { ...p, fix: `pulumi config set --path '${p.propertyPath}.prefix' /   # or: --path '${p.propertyPath}.exact' /<path>` };
            case "plain-http-tls":
            case "plain-http-https-port":
                return { ...p, fix: `pulumi config rm --path '${p.propertyPath}'   # or: pulumi config set --path '${key}.protocol' HTTPS` };
            default:
                return p;
        }
    });
}

/** One Kubernetes object a stack makes, and the config key that makes it. */
export interface StackObject {
    kind: string;
    name: string;
    /** Config path of the owner, e.g. `services.sample-app.stable` or `ingress`. */
    owner: string;
    /** How to name the owner in a message, e.g. `ingress (the ingress gateway)`. */
    label: string;
    /** What to change when this owner clashes. */
    fix: string;
}

/**
 * Every object a stack makes, named as the components name them (a unit test compares this list with the
 * objects the components register under mocks). Gateways and egress first: a service that takes one of
 * their names is the one reported.
 */
export function stackObjects(cfg: StackConfig, plan: MeshPlan = planMeshStack(cfg, new DestinationRuleClaims())): StackObject[] {
    const out: StackObject[] = [];
    const add = (kind: string, name: string, owner: string, label: string, fix: string): void => {
        out.push({ kind, name, owner, label, fix });
    };
    const gatewayApi = cfg.routingApi === "gateway-api";
    if (plan.ingress !== undefined) {
        const label = "ingress (the ingress gateway)";
        add("Gateway", INGRESS_NAME, "ingress", label, "disable the ingress");
        if (!gatewayApi) add("VirtualService", INGRESS_NAME, "ingress", label, "disable the ingress");
        // Gateway API: the HTTP listener's redirect route (HTTPS only) and one HTTPRoute per route (components/gatewayApiPlan.ts).
        // A platform stack's routes are its service stacks' (`<svc>-ingress`).
        const routes = cfg.layout === "platform" ? [] : plan.ingress.routes.map((_, i) => String(i));
        const redirect = cfg.ingress.protocol === "HTTP" ? [] : ["https-redirect"];
        if (gatewayApi) [...redirect, ...routes].forEach((s) => add("HTTPRoute", `${INGRESS_NAME}-${s}`, "ingress", label, "disable the ingress"));
    }
    if (plan.internalGateway !== undefined) {
        const label = "internalGateway (the internal gateway)";
        add("Gateway", INTERNAL_GATEWAY_NAME, "internalGateway", label, "disable the internal gateway");
        const routes = plan.internalGateway.routes ?? [];
        if (!gatewayApi && routes.length > 0) {
            add("VirtualService", INTERNAL_GATEWAY_NAME, "internalGateway", label, "disable the internal gateway");
        }
        // Gateway API: one HTTPRoute per route (a platform stack's are its service stacks', `<svc>-internal`).
        if (gatewayApi && cfg.layout !== "platform") routes.forEach((_, i) => add("HTTPRoute", `${INTERNAL_GATEWAY_NAME}-${i}`, "internalGateway", label, "disable the internal gateway"));
    }
    if (plan.egress !== undefined) {
        add("Gateway", EGRESS_NAME, "egressGateway", "egressGateway (the egress gateway)", "remove the egress hosts");
        // Gateway API (components/gatewayApiEgressPlan.ts): no DestinationRule; two TLSRoutes per host instead of a VirtualService.
        if (!gatewayApi) add("DestinationRule", `${EGRESS_NAME}-egressgateway`, "egressGateway", "egressGateway (the egress gateway)", "remove the egress hosts");
        plan.egress.hosts.forEach((h, i) => {
            const name = egressObjectName(EGRESS_NAME, h.host);
            const objects: [kind: string, name: string][] = gatewayApi
                ? [["ServiceEntry", name], ["TLSRoute", `${name}-mesh`], ["TLSRoute", name]]
                : [["ServiceEntry", name], ["VirtualService", name]];
            for (const [kind, objectName] of objects) add(kind, objectName, `egress[${i}]`, `egress[${i}]`, "remove one of the egress hosts");
        });
        if (plan.egress.registryOnly === true) add("Sidecar", "default", "egressGateway.registryOnly", "egressGateway.registryOnly", "turn registryOnly off");
    }
    // Ambient waypoints: the namespace's, then each service's own (stacks/gatewayApi.ts stackWaypoints, the same names).
    if (cfg.layout !== "service" && cfg.ambient.enabled && cfg.ambient.waypoint !== "") {
        add("Gateway", cfg.ambient.waypoint, "ambient.waypoint", "ambient.waypoint (the namespace's waypoint)", "rename the waypoint");
    }
    for (const [name, svc] of cfg.layout === "platform" ? [] : Object.entries(cfg.services)) {
        if (svc.waypoint === "own") add("Gateway", serviceWaypointName(name), `services.${name}.waypoint`, `services.${name}.waypoint (its own waypoint)`, "rename the service");
    }
    for (const o of plan.routing === undefined ? [] : planOnce(planIstioRouting, plan.routing).objects) {
        const key = `routing.${ROUTING_KEYS[o.kind]}.${o.name}`;
        add(o.kind, o.name, key, key, "rename the routing object");
    }
    for (const c of plan.canaries) {
        const p = `services.${c.service}`;
        const deployed = plan.workloads.some((w) => w.service === c.service);
        const route = cfg.routingApi === "gateway-api" ? "HTTPRoute" : "VirtualService";
        const kinds = [...(deployed ? ["Service"] : []), "DestinationRule", ...(c.args.virtualService === false ? [] : [route])];
        for (const kind of kinds) add(kind, c.service, p, p, "rename the service");
        if (cfg.layout === "service" && !gatewayApi) add("VirtualService", delegateName(c.service), p, `${p} (its delegate)`, "rename the service");
        // Gateway API: a service stack's HTTPRoute on the platform's Gateway (made when the platform routes to it).
        if (cfg.layout === "service" && gatewayApi) {
            for (const g of ["ingress", "internal"] as const) add("HTTPRoute", gatewayRouteName(c.service, g), p, `${p} (its ${g} HTTPRoute)`, "rename the service");
        }
        // Then its workloads (deploy true), so a clash is reported at the service that comes second.
        const w = plan.workloads.find((x) => x.service === c.service);
        w?.args.versions.forEach((v, i) => {
            const owner = `${p}.${i === 0 ? "stable" : "canary"}`;
            add("Deployment", `${c.service}-${v.version}`, owner, owner, "rename the service or the version");
            // Gateway API: a Service per version (the HTTPRoute splits by Service).
            if (gatewayApi) add("Service", `${c.service}-${v.version}`, owner, owner, "rename the service or the version");
        });
    }
    return out;
}

/** Every object name has one owner: a second claimant is reported with both names. */
export function checkObjectOwners(cfg: StackConfig, plan?: MeshPlan): RuleProblem[] {
    const first = new Map<string, StackObject>();
    const out: RuleProblem[] = [];
    const service = (path: string): string => path.split(".").slice(0, 2).join(".");
    for (const o of stackObjects(cfg, plan)) {
        const key = `${o.kind}/${o.name}`;
        const holder = first.get(key);
        if (holder === undefined) {
            first.set(key, o);
            continue;
        }
        if (holder.owner.startsWith("services.") && service(holder.owner) === service(o.owner)) {
            continue; // one service's stable and canary with one version: rules.ts says so with a better message
        }
        if (holder.owner.startsWith("egress[") && o.owner.startsWith("egress[")) {
            continue; // two egress hosts with one name: the EgressGateway's own check names them
        }
        out.push({
            propertyPath: o.owner,
            reason: `${o.owner} makes ${o.kind} ${show(o.name)}, which ${holder.label} also makes; each object name must have one owner: ${o.fix}`,
            fix: `${o.fix} (${o.owner})`,
            about: [holder.owner],
        });
    }
    return out;
}

/** What a stack exports for one service (release tooling and people read these). */
export interface ServiceOutputs {
    /** Live catch-all weights, percent: `{ stable: 100 - w, canary: w }` (canary 0 when unrouted). */
    weights: Weights;
    /** Subsets the DestinationRule defines (`stable`, and `canary` when canary.version is set). */
    subsets: string[];
    /** Version label of each subset. */
    versions: { stable: string; canary?: string };
    /** Mesh hosts of the VirtualService. */
    hosts: string[];
    /** External/internal gateway hosts that route to this service. */
    gatewayHosts: string[];
}

/** Stack outputs. */
export interface MeshStackOutputs {
    namespace: string;
    services: Record<string, ServiceOutputs>;
    ingressHosts: string[];
    egressHosts: string[];
    /** A platform stack only: what its service stacks read of it (stacks/index.ts readPlatformOutput). */
    platform?: PlatformOutputs;
}

/**
 * Pure: the stack outputs of a config (the same values the components expose). A service stack's gateway
 * hosts and namespace come from its platform stack's outputs (`platform`).
 */
export function meshStackOutputs(cfg: StackConfig, platform?: PlatformOutputs): MeshStackOutputs {
    const own = cfg.layout === "platform" ? platformOutputs(cfg) : undefined;
    const view: PlatformOutputs = cfg.layout === "service" && platform !== undefined ? platform : (own ?? platformOutputs(cfg));
    const gatewayHostsOf = (name: string): string[] =>
        (["ingress", "internalGateway"] as const).flatMap((g) =>
            view.routes.some((r) => r.gateway === g && r.service === name) ? view.gatewayHosts[g] : [],
        );
    const services: Record<string, ServiceOutputs> = {};
    for (const [name, svc] of Object.entries(cfg.layout === "platform" ? {} : cfg.services)) {
        const canary = svc.canary.version;
        services[name] = {
            weights: serviceWeights(svc),
            subsets: canary === undefined ? ["stable"] : ["stable", "canary"],
            versions: canary === undefined ? { stable: svc.stable.version } : { stable: svc.stable.version, canary },
            hosts: svc.hosts ?? [name],
            gatewayHosts: [...new Set(gatewayHostsOf(name))],
        };
    }
    if (cfg.layout === "service") {
        return { namespace: platform?.namespace ?? cfg.namespace, services, ingressHosts: [], egressHosts: [] };
    }
    return {
        namespace: cfg.namespace,
        services,
        ingressHosts: cfg.ingress.enabled ? cfg.ingress.hosts : [],
        egressHosts: cfg.egress.map((e) => e.host),
        ...(own === undefined ? {} : { platform: own }),
    };
}

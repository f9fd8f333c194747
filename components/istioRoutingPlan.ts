/**
 * The pure plan of {@link IstioRouting} (components/istioRouting.ts): Istio's own objects by name (the stack config's
 * `routing` key, or a program's args), checked before anything is created: each spec against the pinned CRD schema
 * (contract/istioSpec.ts), then the references between the objects and to the rest of the stack (which Istio would
 * accept and then ignore, or answer with 503s): gateways a VirtualService binds to, subsets its destinations name,
 * delegates, hosts routed twice, more than one namespace-wide Sidecar, TCP and TLS routes on hosts whose ports speak
 * HTTP only. Problems are at paths `<kindKey>.<name>.<path into the spec>` (the stack config prefixes `routing.`).
 */
import { ROUTING_KEYS, ROUTING_KINDS, type RoutingKind } from "../contract/istioKinds";
import { istioSpecSchema, RELEASE_FIELD } from "../contract/istioSpec";
import { formatPath } from "../contract/paths";
import { didYouMean } from "../contract/didYouMean";
import { validateIstioSpec } from "./istioValidation";
import type { DeepInput, Plain } from "./inputs";
import { show, type Problem } from "./validation";

type Spec = Record<string, unknown>;

/** Istio objects by kind key and name, as the `routing` key holds them. */
export type RoutingObjects = Partial<Record<(typeof ROUTING_KEYS)[RoutingKind], Readonly<Record<string, Spec>>>>;

/** What the rest of the stack makes, for the references of the routing objects. */
export interface RoutingContext {
    /** Names of the Gateways the stack makes besides `routing.gateways` (ingress, internal, egress). */
    gateways?: readonly string[];
    /** Hosts the stack's services own (their VirtualService and DestinationRule), with their subsets. */
    serviceHosts?: Readonly<Record<string, readonly string[]>>;
    /**
     * The stack's services' own http routes by service name (pins, A/B, faults, redirects, URI routes, the weighted
     * catch-all), with their mesh hosts: what an http route `{ release: <svc> }` stands for. Absent: no release routes.
     */
    serviceRoutes?: Readonly<Record<string, { hosts: readonly string[]; http: readonly unknown[] }>>;
    /** Why release routes are refused here, when they are (a platform stack has no services). */
    releaseRefused?: string;
    /** The stack makes a namespace-wide Sidecar of its own (egressGateway.registryOnly). */
    defaultSidecar?: boolean;
}

export interface IstioRoutingArgs {
    /** Namespace of every object. */
    namespace: DeepInput<string>;
    /**
     * The objects, by kind key and name: `{ virtualServices: { reviews: { hosts: [...], http: [...] } } }`. The kinds
     * and names are plain (each names an object); each spec accepts Inputs.
     */
    objects: { [K in keyof RoutingObjects]?: Readonly<Record<string, DeepInput<Spec>>> };
    /** Labels added to every object's own. */
    labels?: DeepInput<Record<string, string>>;
    /** The rest of the stack, when the objects sit beside a mesh-traffic stack's own. */
    context?: RoutingContext;
}

/** One object to create. */
export interface RoutingObject {
    kind: RoutingKind;
    name: string;
    spec: Spec;
}

export interface IstioRoutingPlan {
    objects: RoutingObject[];
    problems: Problem[];
    /** What istiod would warn about (deprecated fields, rules that never match): logged, not refused. */
    warnings: string[];
}

const isObject = (v: unknown): v is Spec => v !== null && typeof v === "object" && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const strings = (v: unknown): string[] => list(v).filter((x): x is string => typeof x === "string");
const text = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

const problem = (path: string, value: unknown, reason: string): Problem => ({ propertyPath: path, reason: `${path} is ${show(value)}; ${reason}` });

/** A host as the short name of a service of `namespace`, when it is one (`reviews`, `reviews.ns`, `reviews.ns.svc.cluster.local`). */
function localName(host: string, namespace: string): string | undefined {
    const parts = host.split(".");
    if (parts.length === 1) return host;
    if (parts[1] !== namespace) return undefined;
    if (parts.length === 2 || (parts.length === 3 && parts[2] === "svc") || host === `${parts[0]}.${namespace}.svc.cluster.local`) return parts[0];
    return undefined;
}

/** The canonical form of a host for comparisons: a local service's short name, else the host. */
export const canonicalHost = (host: string, namespace: string): string => localName(host, namespace) ?? host;
const canonical = canonicalHost;

const HTTP_PROTOCOLS = new Set(["HTTP", "HTTP2", "GRPC", "GRPC-WEB", "HTTP_PROXY"]);

/** The services a VirtualService's http routes release (`{ release: <svc> }`), with the route index. */
function releasesOf(spec: Spec): { svc: string; index: number }[] {
    return list(spec["http"]).flatMap((r, index) => (isObject(r) && typeof r[RELEASE_FIELD] === "string" ? [{ svc: r[RELEASE_FIELD] as string, index }] : []));
}

const meshBound = (spec: Spec): boolean => strings(spec["gateways"]).length === 0 || strings(spec["gateways"]).includes("mesh");

/**
 * The services whose own mesh VirtualService a routing VirtualService replaces: a mesh-bound VirtualService that
 * releases the service and routes its hosts. Pure; the stack plan tells those services' Canary to emit none.
 */
export function releasedServices(args: Pick<Plain<IstioRoutingArgs>, "objects" | "namespace" | "context">): string[] {
    const routes = args.context?.serviceRoutes ?? {};
    const out: string[] = [];
    for (const spec of Object.values(args.objects.virtualServices ?? {})) {
        if (!meshBound(spec)) continue;
        const hosts = strings(spec["hosts"]).map((h) => canonical(h, args.namespace));
        for (const { svc } of releasesOf(spec)) {
            const own = routes[svc];
            if (own !== undefined && own.hosts.some((h) => hosts.includes(canonical(h, args.namespace))) && !out.includes(svc)) out.push(svc);
        }
    }
    return out;
}

/** Every object of the args as [kind, name, spec], in kind order then name order. */
/** The objects' kinds and names, in the order {@link planIstioRouting} plans them. */
export function routingObjectNames(objects: Plain<IstioRoutingArgs>["objects"] | IstioRoutingArgs["objects"]): { kind: RoutingKind; name: string }[] {
    return ROUTING_KINDS.flatMap((kind) => Object.keys(objects[ROUTING_KEYS[kind] as keyof RoutingObjects] ?? {}).map((name) => ({ kind, name })));
}

function entries(objects: RoutingObjects): { kind: RoutingKind; name: string; spec: Spec }[] {
    return ROUTING_KINDS.flatMap((kind) =>
        Object.entries(objects[ROUTING_KEYS[kind] as keyof RoutingObjects] ?? {}).map(([name, spec]) => ({ kind, name, spec })),
    );
}

/** The CRD schema's problems of one spec, at `<kindKey>.<name>.<path>`. */
function schemaProblems(kind: RoutingKind, name: string, spec: unknown): Problem[] {
    const res = istioSpecSchema(kind).safeParse(spec);
    if (res.success) return [];
    return res.error.issues.map((i) => {
        const path = formatPath([ROUTING_KEYS[kind], name, ...i.path.map((p) => (typeof p === "symbol" ? String(p) : p))]);
        return { propertyPath: path, reason: `${path}: ${i.message.startsWith("must") ? `it ${i.message}` : i.message}` };
    });
}

/** Checks the references of the objects, given their specs passed the schema. */
function referenceProblems(args: Plain<IstioRoutingArgs>): Problem[] {
    const ns = args.namespace;
    const ctx = args.context ?? {};
    const out: Problem[] = [];
    const all = entries(args.objects);
    const at = (kind: RoutingKind, name: string, ...rest: (string | number)[]): string => formatPath([ROUTING_KEYS[kind], name, ...rest]);

    // Gateways a VirtualService may bind to.
    const gatewayNames = [...Object.keys(args.objects.gateways ?? {}), ...(ctx.gateways ?? [])];
    // Subsets per host: the routing DestinationRules' and the services'.
    const subsets = new Map<string, Set<string>>();
    const drOwner = new Map<string, string>();
    for (const [host, names] of Object.entries(ctx.serviceHosts ?? {})) {
        subsets.set(canonical(host, ns), new Set(names));
        drOwner.set(canonical(host, ns), `services.${host}`);
    }
    for (const { name, spec } of all.filter((o) => o.kind === "DestinationRule")) {
        const host = text(spec["host"]);
        if (host === undefined || isObject(spec["workloadSelector"])) continue;
        const key = canonical(host, ns);
        const holder = drOwner.get(key);
        if (holder !== undefined) {
            out.push(problem(at("DestinationRule", name, "host"), host, `${holder} already has the DestinationRule of this host; Istio uses one DestinationRule per host (it ignores the others' subsets and policy): move these settings into one of them`));
            continue;
        }
        drOwner.set(key, at("DestinationRule", name));
        subsets.set(key, new Set(list(spec["subsets"]).map((s) => (isObject(s) ? text(s["name"]) : undefined)).filter((s): s is string => s !== undefined)));
    }
    // HTTP-only hosts of the ServiceEntries (every port speaks an HTTP protocol).
    const httpOnly = new Set<string>();
    for (const { spec } of all.filter((o) => o.kind === "ServiceEntry")) {
        const protocols = list(spec["ports"]).map((p) => (isObject(p) ? (text(p["protocol"]) ?? "").toUpperCase() : ""));
        if (protocols.length > 0 && protocols.every((p) => HTTP_PROTOCOLS.has(p))) {
            for (const h of strings(spec["hosts"])) httpOnly.add(canonical(h, ns));
        }
    }
    // Delegates named by root routes.
    const delegated = new Set<string>();
    for (const { spec } of all.filter((o) => o.kind === "VirtualService")) {
        for (const route of list(spec["http"])) {
            const d = isObject(route) ? route["delegate"] : undefined;
            if (isObject(d) && (text(d["namespace"]) ?? ns) === ns && text(d["name"]) !== undefined) delegated.add(text(d["name"]) ?? "");
        }
    }
    // Hosts routed by a VirtualService (mesh or a gateway): one VirtualService per host and gateway binding. A service
    // whose routes a mesh VirtualService releases gives its hosts to that VirtualService.
    const released = releasedServices(args);
    const routedBy = new Map<string, string>();
    for (const svcHost of Object.keys(ctx.serviceHosts ?? {})) routedBy.set(`mesh ${canonical(svcHost, ns)}`, `services.${svcHost}`);
    for (const svc of released) {
        for (const h of ctx.serviceRoutes?.[svc]?.hosts ?? []) routedBy.delete(`mesh ${canonical(h, ns)}`);
    }

    for (const { name, spec } of all.filter((o) => o.kind === "VirtualService")) {
        const hosts = strings(spec["hosts"]);
        const gateways = strings(spec["gateways"]);
        if (hosts.length === 0) {
            if (!delegated.has(name)) {
                out.push(problem(at("VirtualService", name, "hosts"), spec["hosts"] ?? [], `a VirtualService without hosts is a delegate, and no route of this stack delegates to ${show(name)}: Istio would never use it; give it hosts, or delegate to it from a root VirtualService's http route ({ delegate: { name: ${show(name)} } })`));
            }
        } else if (delegated.has(name)) {
            out.push(problem(at("VirtualService", name, "hosts"), hosts, "a delegate VirtualService must have no hosts (Istio ignores a delegate that has them): remove hosts, or stop delegating to it"));
        }
        gateways.forEach((g, i) => {
            if (g === "mesh" || (g.includes("/") && g.split("/")[0] !== ns)) return;
            const local = g.includes("/") ? (g.split("/")[1] ?? "") : g;
            if (!gatewayNames.includes(local)) {
                const guess = didYouMean(local, [...gatewayNames, "mesh"]);
                out.push(problem(at("VirtualService", name, "gateways", i), g, `no Gateway of this stack is named ${show(local)}${guess === undefined ? "" : `; did you mean ${show(guess)}?`}: Istio would bind the routes to nothing; name a key of routing.gateways, a gateway the stack makes (${(ctx.gateways ?? []).join(", ") || "none"}), "mesh", or <namespace>/<name> of another namespace`));
            }
        });
        const releases = releasesOf(spec);
        releases.forEach(({ svc, index }, k) => {
            const p = at("VirtualService", name, "http", index, RELEASE_FIELD);
            if (ctx.releaseRefused !== undefined) {
                out.push(problem(p, svc, ctx.releaseRefused));
            } else if (ctx.serviceRoutes?.[svc] === undefined) {
                const guess = didYouMean(svc, Object.keys(ctx.serviceRoutes ?? {}));
                out.push(problem(p, svc, `it must name a service of this stack (a key of services: ${Object.keys(ctx.serviceRoutes ?? {}).map((x) => show(x)).join(", ") || "none"})${guess === undefined ? "" : `; did you mean ${show(guess)}?`}`));
            } else if (k === 0 && index < list(spec["http"]).length - 1) {
                out.push(problem(p, svc, `http routes follow it (from http[${index + 1}]): the release ends with the service's weighted catch-all, which takes every request left, so they would never match; move them before the release`));
            } else if (k > 0) {
                out.push(problem(p, svc, `this VirtualService already releases ${show(releases[0]?.svc)} at http[${releases[0]?.index ?? 0}], whose weighted catch-all takes every request left: a second release would never match; use one release per VirtualService`));
            }
        });
        for (const svc of released) {
            if (!releases.some((r) => r.svc === svc) || !meshBound(spec)) continue;
            const missing = (ctx.serviceRoutes?.[svc]?.hosts ?? []).filter((h) => !hosts.map((x) => canonical(x, ns)).includes(canonical(h, ns)));
            if (missing.length > 0) {
                out.push(problem(at("VirtualService", name, "hosts"), hosts, `it releases service ${show(svc)} for the mesh and so replaces the service's own VirtualService, which routes ${missing.map((h) => show(h)).join(", ")} too: list every host of the service (${(ctx.serviceRoutes?.[svc]?.hosts ?? []).map((h) => show(h)).join(", ")})`));
            }
        }
        const bindings = gateways.length === 0 ? ["mesh"] : gateways;
        hosts.forEach((h, i) => {
            for (const b of bindings) {
                if (b !== "mesh") continue; // gateways merge the VirtualServices of one host (istiod does); the mesh does not
                const key = `mesh ${canonical(h, ns)}`;
                const holder = routedBy.get(key);
                if (holder !== undefined && holder !== at("VirtualService", name)) {
                    out.push(problem(at("VirtualService", name, "hosts", i), h, `${holder} already routes this host for the mesh; sidecars use one VirtualService per host (Istio keeps the oldest and ignores the others): merge the routes into one of them`));
                } else {
                    routedBy.set(key, at("VirtualService", name));
                }
            }
            if (list(spec["tcp"]).length > 0 && httpOnly.has(canonical(h, ns))) {
                out.push(problem(at("VirtualService", name, "tcp"), "[...]", `host ${show(h)} is a ServiceEntry host whose every port speaks HTTP; Istio applies tcp routes to TCP ports only, so these would never match: route it with http routes, or declare a TCP/TLS port in its ServiceEntry`));
            }
        });
        // Destinations: a subset must be defined by the host's DestinationRule; a release split names a service.
        const routeLists: [string, unknown][] = [
            ...list(spec["http"]).flatMap((r, i): [string, unknown][] => (isObject(r) ? [[`http[${i}]`, r]] : [])),
            ...list(spec["tcp"]).flatMap((r, i): [string, unknown][] => (isObject(r) ? [[`tcp[${i}]`, r]] : [])),
            ...list(spec["tls"]).flatMap((r, i): [string, unknown][] => (isObject(r) ? [[`tls[${i}]`, r]] : [])),
        ];
        for (const [where, route] of routeLists) {
            const r = route as Spec;
            const dests: [string, unknown][] = list(r["route"]).map((d, j) => [`${where}.route[${j}].destination`, isObject(d) ? d["destination"] : undefined]);
            if (isObject(r["mirror"])) dests.push([`${where}.mirror`, r["mirror"]]);
            list(r["mirrors"]).forEach((m, j) => dests.push([`${where}.mirrors[${j}].destination`, isObject(m) ? m["destination"] : undefined]));
            for (const [p, d] of dests) {
                if (!isObject(d)) continue;
                const host = text(d["host"]);
                const subset = text(d["subset"]);
                if (host === undefined || subset === undefined) continue;
                const key = canonical(host, ns);
                const defined = subsets.get(key);
                if (defined === undefined) {
                    if (localName(host, ns) !== undefined) {
                        out.push(problem(`${ROUTING_KEYS.VirtualService}.${name}.${p}.subset`, subset, `no DestinationRule of this stack defines subsets for host ${show(host)}; Istio answers 503 for a subset it does not know: add a DestinationRule for the host (routing.destinationRules) with a subset named ${show(subset)}`));
                    }
                } else if (!defined.has(subset)) {
                    const guess = didYouMean(subset, [...defined]);
                    out.push(problem(`${ROUTING_KEYS.VirtualService}.${name}.${p}.subset`, subset, `the DestinationRule of host ${show(host)} (${drOwner.get(key) ?? "?"}) defines no subset ${show(subset)} (it has ${[...defined].map((s) => show(s)).join(", ") || "none"})${guess === undefined ? "" : `; did you mean ${show(guess)}?`}: Istio answers 503 for it; add the subset or route to one it has`));
                }
            }
        }
    }
    // One namespace-wide Sidecar.
    const defaults = all.filter((o) => o.kind === "Sidecar" && !isObject(o.spec["workloadSelector"])).map((o) => o.name);
    if (ctx.defaultSidecar === true) defaults.unshift("default (egressGateway.registryOnly)");
    if (defaults.length > 1) {
        for (const n of defaults.slice(1)) {
            if (n.startsWith("default (")) continue;
            out.push(problem(at("Sidecar", n, "workloadSelector"), undefined, `${show(defaults[0])} is already this namespace's Sidecar without a workloadSelector; Istio uses one such Sidecar per namespace (which one is undefined): merge them, or give this one a workloadSelector`));
        }
    }
    return out;
}

/** A VirtualService spec with each `{ release: <svc> }` http route replaced by the service's own routes. */
function expandReleases(spec: Spec, ctx: RoutingContext | undefined): Spec {
    if (releasesOf(spec).length === 0) return spec;
    const http = list(spec["http"]).flatMap((r) => {
        const svc = isObject(r) && typeof r[RELEASE_FIELD] === "string" ? (r[RELEASE_FIELD] as string) : undefined;
        return svc === undefined ? [r] : [...(ctx?.serviceRoutes?.[svc]?.http ?? [])];
    });
    return { ...spec, http };
}

/** The objects of the args and every problem, before anything is created. */
export function planIstioRouting(args: Plain<IstioRoutingArgs>): IstioRoutingPlan {
    const all = entries(args.objects);
    const problems: Problem[] = [];
    for (const { kind, name, spec } of all) {
        problems.push(...schemaProblems(kind, name, spec));
    }
    const objects = all.map(({ kind, name, spec }) => ({ kind, name, spec: kind === "VirtualService" ? expandReleases(spec, args.context) : spec }));
    const warnings: string[] = [];
    if (problems.length === 0) {
        problems.push(...referenceProblems(args));
        // Istio's own semantic validation (what istiod's webhook refuses), on the objects as they will be applied.
        for (const o of objects) {
            for (const f of validateIstioSpec(o.kind, o.spec, { namespace: args.namespace })) {
                const path = formatPath([ROUTING_KEYS[o.kind], o.name, ...f.path]);
                const text = `${path}: ${f.message}${f.fix === undefined ? "" : ` (${f.fix})`}`;
                if (f.severity === "error") problems.push({ propertyPath: path, reason: text });
                else warnings.push(text);
            }
        }
    }
    return { objects, problems, warnings };
}

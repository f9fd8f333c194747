/**
 * Is the live split the step's? Before a window is judged, the rollout compares (1) the weights of the live
 * VirtualService's catch-all route (a tcp service: its tcp route; a `routingApi: gateway-api` stack: the catch-all
 * rule's `backendRefs` of the mesh HTTPRoute, GRPCRoute or TCPRoute) with the step's weight and (2) the canary's observed share of the
 * window's requests with that weight. A hand edit (a patch to 100 % canary, a manual kill switch to stable)
 * makes the window judge something else than the step: the rollout stops naming the object and both values,
 * and writes nothing, so the manual change is never overwritten silently. Pure, apart from the reader the
 * caller passes (bin/mesh-release.ts reads the API server of the current kubeconfig).
 */
import { MESH_ROUTE_KINDS, type MeshRouteKind, type ServiceProtocol } from "../../contract/schema";
import type { MetricResult } from "./events";

/** The live VirtualService of a service, as the API server holds it (only what the check reads). */
export interface LiveVirtualService {
    kind?: "VirtualService";
    metadata?: { name?: string; namespace?: string };
    spec?: {
        hosts?: string[];
        /** Gateways the object binds to; absent or holding `mesh`: sidecar (mesh) traffic. */
        gateways?: string[];
        http?: {
            name?: string;
            route?: { destination?: { host?: string; subset?: string }; weight?: number }[];
            /** A root route of the per-service layout: the routes (and the weights) live in the delegate. */
            delegate?: { name?: string; namespace?: string };
        }[];
        /** A tcp service's routes (`services.<svc>.protocol: tcp`): the weighted split, unnamed. */
        tcp?: { route?: { destination?: { host?: string; subset?: string }; weight?: number }[] }[];
    };
}

/**
 * The live mesh route of a service (`routingApi: gateway-api`): an HTTPRoute, GRPCRoute (protocol grpc) or TCPRoute
 * (protocol tcp) whose parent is the service's Service (GAMMA) and whose catch-all rule's `backendRefs` are the version
 * Services `<service>-<version>` (components/gatewayApiPlan.ts). The three kinds share these fields.
 */
export interface LiveGatewayRoute {
    kind: MeshRouteKind;
    metadata?: { name?: string; namespace?: string };
    spec?: {
        parentRefs?: { group?: string; kind?: string; name?: string; namespace?: string }[];
        rules?: { name?: string; backendRefs?: { name?: string; weight?: number }[] }[];
    };
}

/** A live routing object: a VirtualService, or a Gateway API route (`kind` set). */
export type LiveObject = LiveVirtualService | LiveGatewayRoute;

/** Reads the VirtualServices (and HTTPRoutes, GRPCRoutes, TCPRoutes) of a namespace; rejects when the API server cannot be read. */
export type LiveReader = (namespace: string) => Promise<LiveObject[]>;

/** The canary's share of the catch-all in the live object, percent, with the object's name. */
export interface LiveSplit {
    /** `VirtualService shop/sample-app`. */
    object: string;
    canary: number;
}

/**
 * The route the weight lives on (components/routes.ts names it `catch-all`; otherwise the last route). A VirtualService
 * without http routes is a tcp service's: its last tcp route (components/canaryPlan.ts emits one).
 */
function catchAll(vs: LiveVirtualService): { route?: NonNullable<NonNullable<LiveVirtualService["spec"]>["tcp"]>[number]["route"] } | undefined {
    const http = vs.spec?.http ?? [];
    const tcp = vs.spec?.tcp ?? [];
    return http.length > 0 ? (http.find((r) => r.name === "catch-all") ?? http[http.length - 1]) : tcp[tcp.length - 1];
}

const isGatewayRoute = (o: LiveObject): o is LiveGatewayRoute => o.kind === "HTTPRoute" || o.kind === "GRPCRoute" || o.kind === "TCPRoute";

/** Whether a VirtualService routes sidecar (mesh) traffic: no gateways, or `mesh` among them. */
const routesMesh = (o: LiveVirtualService): boolean => (o.spec?.gateways ?? []).length === 0 || (o.spec?.gateways ?? []).includes("mesh");

/** The kind of the object that holds a service's live split: its VirtualService (Istio's API) or its Gateway API mesh route. */
export type LiveRouteKind = "VirtualService" | MeshRouteKind;

/**
 * The service's mesh VirtualService: named like the service, or the one whose hosts hold it. A gateway-bound
 * VirtualService is never the one (the single layout's ingress carries the service's routes too, and its host
 * `sample-app.example.com` would otherwise pass for the service's).
 */
function meshVirtualServiceOf(all: readonly LiveObject[], service: string): LiveVirtualService | undefined {
    const mesh = all.filter((o): o is LiveVirtualService => !isGatewayRoute(o)).filter(routesMesh);
    return (
        mesh.find((o) => o.metadata?.name === service && (o.spec?.hosts ?? []).length > 0) ??
        mesh.find((o) => (o.spec?.hosts ?? []).some((h) => h === service || h.startsWith(`${service}.`)))
    );
}

/**
 * The service's mesh route of the Gateway API: attached to its Service (GAMMA); of `kind` first (while a protocol
 * change replaces one kind by another, both are attached, and the configured protocol's kind is the live one), then
 * the one named like the service.
 */
function meshGatewayRouteOf(all: readonly LiveObject[], service: string, kind: MeshRouteKind | undefined): LiveGatewayRoute | undefined {
    const attached = all.filter(isGatewayRoute).filter((r) => (r.spec?.parentRefs ?? []).some((p) => p.kind === "Service" && (p.group ?? "") === "" && p.name === service));
    const ofKind = attached.filter((r) => kind === undefined || r.kind === kind);
    return ofKind.find((r) => r.metadata?.name === service) ?? ofKind[0] ?? attached.find((r) => r.metadata?.name === service) ?? attached[0];
}

/**
 * The canary share of a service's live split, with the object it was read on, or undefined when there is none.
 *
 * `versions.kind`: the kind the stack's config says holds the split (release/core/edits.ts `liveRouteKindOf`). Only
 * that API is read: a VirtualService for `VirtualService`; for a Gateway API kind the mesh route (HTTPRoute, GRPCRoute
 * or TCPRoute attached to the Service), of that kind first. An object of the other API left with the service's name
 * (the switch between the APIs half done, or a leftover) is never read in its place: {@link otherKindNote} names it.
 * Without `kind` (callers with no stack config: the e2e tests, the bench) the VirtualService is read first, then the
 * mesh route (of `versions.protocol`'s kind first), as before the kind was passed.
 *
 * The VirtualService: when it is a root whose route delegates (the per-service layout), the weights live in the
 * delegate VirtualService, so that is the object read and named (one level: Istio does not nest delegation).
 */
export function liveSplitOf(
    all: readonly LiveObject[],
    namespace: string,
    service: string,
    versions: { canary?: string | undefined; protocol?: ServiceProtocol | undefined; kind?: LiveRouteKind | undefined } = {},
): LiveSplit | undefined {
    const routeKind = versions.kind === undefined || versions.kind === "VirtualService" ? undefined : versions.kind;
    const gatewaySplit = (): LiveSplit | undefined =>
        gatewayRouteSplitOf(meshGatewayRouteOf(all, service, routeKind ?? (versions.protocol === undefined ? undefined : MESH_ROUTE_KINDS[versions.protocol])), namespace, service, versions.canary);
    if (routeKind !== undefined) {
        return gatewaySplit();
    }
    const root = meshVirtualServiceOf(all, service);
    const delegate = root?.spec?.http?.find((r) => r.delegate !== undefined)?.delegate;
    const vs =
        delegate === undefined
            ? root
            : all.find((o): o is LiveVirtualService => !isGatewayRoute(o) && o.metadata?.name === delegate.name && (o.metadata?.namespace ?? namespace) === (delegate.namespace ?? namespace));
    if (vs === undefined) {
        return versions.kind === undefined ? gatewaySplit() : undefined;
    }
    const route = catchAll(vs);
    if (route === undefined) {
        return undefined;
    }
    const dests = route.route ?? [];
    const weightOf = (d: (typeof dests)[number]): number => d.weight ?? (dests.length === 1 ? 100 : 0);
    const total = dests.reduce((sum, d) => sum + weightOf(d), 0);
    const canary = dests.filter((d) => d.destination?.subset === "canary").reduce((sum, d) => sum + weightOf(d), 0);
    return { object: `VirtualService ${vs.metadata?.namespace ?? namespace}/${vs.metadata?.name ?? service}`, canary: total > 0 ? Math.round((canary / total) * 100) : 0 };
}

/**
 * The split of a service's mesh route: the canary's share of the `catch-all` rule's (else the last rule's)
 * backendRefs, by the canary's version Service `<service>-<canary>`. A backendRef's weight defaults to 1 (Gateway API).
 * Without a canary version the canary's share is 0.
 */
function gatewayRouteSplitOf(hr: LiveGatewayRoute | undefined, namespace: string, service: string, canary: string | undefined): LiveSplit | undefined {
    const rules = hr?.spec?.rules ?? [];
    const rule = rules.find((r) => r.name === "catch-all") ?? rules[rules.length - 1];
    if (hr === undefined || rule === undefined) {
        return undefined;
    }
    const refs = rule.backendRefs ?? [];
    const weightOf = (b: (typeof refs)[number]): number => b.weight ?? 1;
    const total = refs.reduce((sum, b) => sum + weightOf(b), 0);
    const share = refs.filter((b) => canary !== undefined && b.name === `${service}-${canary}`).reduce((sum, b) => sum + weightOf(b), 0);
    return { object: `${hr.kind} ${hr.metadata?.namespace ?? namespace}/${hr.metadata?.name ?? service}`, canary: total > 0 ? Math.round((share / total) * 100) : 0 };
}

/**
 * When the service has no live split of `kind` (the kind its stack's config says) but an object of the other routing
 * API routes it (a VirtualService in `routingApi: gateway-api`, a mesh route attached to its Service in Istio's API):
 * that object, both kinds and why it is there (the switch between the APIs is not finished, or it is a leftover). It is
 * not read in place of the configured kind: its split is not the one the stack's updates write. Undefined otherwise.
 */
export function otherKindNote(all: readonly LiveObject[], namespace: string, service: string, kind: LiveRouteKind): string | undefined {
    const name = (o: LiveObject, k: string): string => `${k} ${o.metadata?.namespace ?? namespace}/${o.metadata?.name ?? service}`;
    if (kind === "VirtualService") {
        const route = meshGatewayRouteOf(all, service, undefined);
        return route === undefined
            ? undefined
            : `the stack routes ${service} with Istio's API (routingApi istio: a VirtualService), but ${name(route, route.kind)} is attached to its Service; ` +
                  `the switch from the Gateway API back to Istio's API is not finished, or that ${route.kind} is a leftover (it is not read)`;
    }
    const vs = meshVirtualServiceOf(all, service);
    return vs === undefined
        ? undefined
        : `the stack routes ${service} with the Gateway API (routingApi gateway-api: a ${kind}), but ${name(vs, "VirtualService")} routes it; ` +
              `the switch from Istio's API to the Gateway API is not finished, or that VirtualService is a leftover (it is not read)`;
}

/**
 * The tolerance of the observed share, stated: 5 percentage points (routing changes take a few seconds to
 * reach every proxy) plus four binomial standard deviations of the window's request count (a small window
 * varies more), in percentage points.
 */
export function shareTolerance(weight: number, requests: number): number {
    const p = weight / 100;
    return 5 + (requests > 0 ? 400 * Math.sqrt((p * (1 - p)) / requests) : 100);
}

/** What the window saw: the canary's and stable's request counts of its metrics (undefined when missing). */
export function observedShare(metrics: readonly MetricResult[]): { canary: number; total: number } | undefined {
    const count = (target: MetricResult["target"]): number | null | undefined => metrics.find((m) => m.name === "request-count" && m.target === target)?.value;
    const canary = count("canary");
    const stable = count("stable");
    if (canary === null || canary === undefined || stable === null || stable === undefined || canary + stable <= 0) {
        return undefined;
    }
    return { canary, total: canary + stable };
}

/**
 * Every mismatch between the step's weight and what is live: the object's canary weight, and the observed
 * share when there are at least `minRequests` requests. `extraCanaryRoutes`: pins or an A/B flag send more
 * than the weight to the canary on purpose, so only a share below the weight counts then. `sessionFloor`
 * (sticky sessions): a session keeps the version of the step it began in, so the requests of a step mix sessions
 * drawn at every earlier weight of the rollout: the share lies between the first step's weight (this floor) and
 * this step's, and only a share outside that range counts.
 */
export function liveSplitProblems(args: {
    weight: number;
    live: LiveSplit | undefined;
    observed: { canary: number; total: number } | undefined;
    minRequests: number;
    extraCanaryRoutes: boolean;
    sessionFloor?: number;
}): string[] {
    const out: string[] = [];
    if (args.live !== undefined && args.live.canary !== args.weight) {
        out.push(`${args.live.object} sends ${args.live.canary}% to the canary, but this step applied ${args.weight}% (was it edited by hand?)`);
    }
    const o = args.observed;
    if (o !== undefined && o.total >= args.minRequests) {
        const share = (o.canary / o.total) * 100;
        const floor = Math.min(args.weight, args.sessionFloor ?? args.weight);
        const lowTol = shareTolerance(floor, o.total);
        const highTol = shareTolerance(args.weight, o.total);
        const low = share < floor - lowTol;
        const high = !args.extraCanaryRoutes && share > args.weight + highTol;
        const tol = low ? lowTol : highTol;
        if (low || high) {
            const expected = floor === args.weight ? `this step applied ${args.weight}%` : `sticky sessions drawn at ${floor}% to ${args.weight}% (the steps so far)`;
            out.push(
                `the canary received ${Math.round(share)}% of the window's ${Math.round(o.total)} requests, but ${expected} ` +
                    `(tolerance ±${Math.round(tol)} points); the live routing is not the step's`,
            );
        }
    }
    return out;
}

/**
 * A live split that no update of this rollout left: the object's canary share is none of `applied` (what the
 * last updates may have put live). `writes` is the share of the version under release after the update about
 * to run (0 for a rollback, 100 for a promotion); `changesTraffic` is false when that update keeps what is
 * live (a manual kill switch overwritten by a rollback), true when it reverts a change people made.
 */
export interface HandEdit {
    /** `VirtualService shop/sample-app`. */
    object: string;
    /** The canary's live share, percent. */
    live: number;
    /** What the last updates of this rollout may have applied, percent. */
    applied: number[];
    /** The share of the version under release after the update, percent. */
    writes: number;
    changesTraffic: boolean;
}

/** The hand edit an update writing `writes` % would overwrite, or undefined when the live split is one an update applied. */
export function handEditOf(live: LiveSplit | undefined, applied: readonly number[], writes: number): HandEdit | undefined {
    if (live === undefined || applied.includes(live.canary)) {
        return undefined;
    }
    return { object: live.object, live: live.canary, applied: [...new Set(applied)], writes, changesTraffic: live.canary !== writes };
}

/**
 * The canary shares the last updates of a rollout may have left live: the configured weight (written with the
 * last update), the current step's, and, when that step's update has not finished, the step before's (0
 * before the first step). A rollback or update that failed midway leaves the config ahead of the live object.
 */
export function appliedShares(state: { stepIndex: number; stepApplied: boolean }, steps: readonly number[], configured: number): number[] {
    const at = (i: number): number => (i < 0 ? 0 : (steps[i] ?? 0));
    const out = [configured, at(state.stepIndex), ...(state.stepApplied ? [] : [at(state.stepIndex - 1)])];
    return [...new Set(out)];
}

/** The hand edit in words: the object, the live and applied shares, and what the update writes instead. */
export function handEditText(e: HandEdit, what: { action: "rollback" | "promotion"; version: string; stable: string | undefined }): string {
    const applied = e.applied.map((w) => `${w}%`).join(" or ");
    const head = `${e.object} sends ${e.live}% to the canary ${what.version}, not the ${applied} the last update applied: edited by hand.`;
    const This = what.action === "rollback" ? "This rollback" : "This promotion";
    if (!e.changesTraffic) {
        return `${head} ${This} writes the same split (${e.writes}% to ${what.version}), so traffic does not change; Pulumi's object replaces the edited one`;
    }
    const rest = what.action === "rollback" ? `, ${100 - e.writes}% to stable ${what.stable ?? "(the stable version)"}` : " (the stable version from now on)";
    return `${head} ${This} overwrites it: ${e.writes}% to ${what.version}${rest}`;
}

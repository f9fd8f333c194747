/**
 * Test support: what istiod sends one proxy (clusters, route configurations, listeners: sim/xds/client.ts), names
 * aside, so that the answers for two namespaces holding the same intent compare equal: every string has the
 * namespace, the Services' cluster IPs and any renamed object replaced by a placeholder (`<ns>`, `<ip:reviews>`),
 * and each kind's resources (and a route configuration's virtual hosts, whose order istiod sets by name) are sorted
 * by their normalised name. Everything else is kept as istiod sent it: routes in their order with matches, actions,
 * weights, retries, timeouts, faults, mirrors, rewrites, header operations; clusters with their load balancer,
 * connection pool, outlier detection and TLS; listeners with their filter chains (TCP and TLS routes, SNI).
 *
 * {@link jsonDiff} lists where two such summaries differ, path by path, for a failure message.
 */
import { TYPE, type Resource, type XdsClient } from "../../sim/xds/client";

/** One proxy's xDS, normalised. */
export interface XdsSummary {
    clusters: Resource[];
    routes: Resource[];
    listeners: Resource[];
}

/** What to put aside: exact strings (a namespace, an IP, an object name) -> their placeholder. */
export type NameMap = ReadonlyArray<readonly [string, string]>;

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** A replacer of every name of `names` in a string, as a whole token: `oracle-a1` is not in `oracle-a12`, 10.0.0.1 not in 10.0.0.12. */
export function nameReplacer(names: NameMap): (s: string) => string {
    const to = new Map(names.filter(([from]) => from !== ""));
    const alternation = (froms: string[]): string => froms.sort((a, b) => b.length - a.length).map(escape).join("|");
    const ips = [...to.keys()].filter((n) => /^[0-9.:a-f]+$/.test(n) && /[.:]/.test(n));
    const words = [...to.keys()].filter((n) => !ips.includes(n));
    const patterns = [
        ...(words.length === 0 ? [] : [new RegExp(`(?<![A-Za-z0-9-])(?:${alternation(words)})(?![A-Za-z0-9-])`, "g")]),
        ...(ips.length === 0 ? [] : [new RegExp(`(?<![0-9.])(?:${alternation(ips)})(?![0-9]|\\.[0-9])`, "g")]),
    ];
    return (s) => patterns.reduce((acc, re) => acc.replace(re, (m) => to.get(m) ?? m), s);
}

/**
 * `v` with every string (and object key) passed through `replace`. An `Any` the client has no proto for (Envoy's
 * mongo_proxy filter, ...) stays bytes (base64 `value`): its text is compared instead, names replaced (the names put
 * aside are of equal length on both sides, so the bytes' length prefixes agree).
 */
export function normalise(v: unknown, replace: (s: string) => string): unknown {
    if (typeof v === "string") return replace(v);
    if (Array.isArray(v)) return v.map((x) => normalise(x, replace));
    if (v !== null && typeof v === "object") {
        const o = v as Record<string, unknown>;
        const undecoded = typeof o["value"] === "string" && (typeof o["typeUrl"] === "string" || typeof o["type_url"] === "string");
        return Object.fromEntries(
            Object.entries(o).map(([k, x]) => [replace(k), undecoded && k === "value" ? { bytesAsText: replace(Buffer.from(String(x), "base64").toString("latin1")) } : normalise(x, replace)]),
        );
    }
    return v;
}

/**
 * A listener with its filter chains in one order: Envoy picks a chain by its filter_chain_match (the most specific
 * one; matches must differ), never by position, and istiod orders chains that differ only in their CIDR ranges as a
 * map hands them out, so the order carries no meaning.
 */
function withChainsSorted(listener: Resource): Resource {
    const chains = listener["filterChains"];
    if (!Array.isArray(chains)) return listener;
    const key = (c: unknown): string => JSON.stringify((c as Resource)["filterChainMatch"] ?? {});
    return { ...listener, filterChains: [...(chains as Resource[])].sort((a, b) => key(a).localeCompare(key(b))) };
}

const byName = (a: Resource, b: Resource): number => String(a["name"]).localeCompare(String(b["name"]));

/**
 * The proxy's current clusters, route configurations and listeners, names put aside (see the file comment); `also`, a
 * further replacement after the names' (a name that other names extend, such as a Gateway's in its Service's).
 */
export function xdsSummary(client: XdsClient, names: NameMap, also: (s: string) => string = (s) => s): XdsSummary {
    const named = nameReplacer(names);
    const replace = (s: string): string => also(named(s));
    const norm = (rs: readonly Resource[]): Resource[] => rs.map((r) => normalise(r, replace) as Resource).sort(byName);
    const routes = norm(client.resources(TYPE.route)).map((rc) => ({ ...rc, virtualHosts: [...((rc["virtualHosts"] ?? []) as Resource[])].sort(byName) }));
    return { clusters: norm(client.resources(TYPE.cluster)), routes, listeners: norm(client.resources(TYPE.listener)).map(withChainsSorted) };
}

const show = (v: unknown): string => {
    const s = JSON.stringify(v);
    return s === undefined ? "(absent)" : s.length > 300 ? `${s.slice(0, 300)}…` : s;
};

/** The elements' names when every element has a string `name`, all distinct. */
function namesOf(a: readonly unknown[]): string[] | undefined {
    const names = a.map((e) => (e !== null && typeof e === "object" ? (e as Resource)["name"] : undefined));
    return names.every((n): n is string => typeof n === "string") && new Set(names).size === names.length && names.length > 0 ? names : undefined;
}

/** Where `a` and `b` differ: `path: <a> | <b>` lines (arrays element by element, objects key by key), at most `max`. */
export function jsonDiff(a: unknown, b: unknown, max = 40, at = ""): string[] {
    const out: string[] = [];
    const walk = (x: unknown, y: unknown, p: string): void => {
        if (out.length >= max) return;
        if (Array.isArray(x) && Array.isArray(y)) {
            const xs = namesOf(x);
            const ys = namesOf(y);
            if (xs !== undefined && ys !== undefined) {
                // named elements (clusters, listeners, virtual hosts, routes): matched by name, then their order
                const inX = new Map(x.map((e, i) => [xs[i] ?? "", e]));
                const inY = new Map(y.map((e, i) => [ys[i] ?? "", e]));
                for (const n of [...new Set([...xs, ...ys])]) walk(inX.get(n), inY.get(n), `${p}[${n}]`);
                const common = (l: string[], other: string[]): string[] => l.filter((n) => other.includes(n));
                if (common(xs, ys).join("\n") !== common(ys, xs).join("\n") && out.length < max) out.push(`${p}: order ${show(xs)} | ${show(ys)}`);
                return;
            }
            for (let i = 0; i < Math.max(x.length, y.length); i++) walk(x[i], y[i], `${p}[${i}]`);
            return;
        }
        if (x !== null && y !== null && typeof x === "object" && typeof y === "object" && !Array.isArray(x) && !Array.isArray(y)) {
            for (const k of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort()) {
                walk((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], `${p}.${k}`);
            }
            return;
        }
        if (JSON.stringify(x) !== JSON.stringify(y)) out.push(`${p}: ${show(x)} | ${show(y)}`);
    };
    walk(a, b, at);
    return out;
}

/**
 * Config paths as `pulumi config set --path` takes them (`services.sample-app.hosts[0]`), one set of helpers for
 * both programs: the Pulumi program reports its problems at these paths, `mesh-release` reads and writes them.
 * Pure; every lookup is of an own property (`constructor` is not a key of `{}`).
 */

/** `["services", "sample-app", "hosts", 0]` -> `services.sample-app.hosts[0]`; `base` (e.g. `release`) goes first. */
export function formatPath(path: readonly PropertyKey[], base = ""): string {
    return path.reduce<string>(
        (acc, seg) => (typeof seg === "number" ? `${acc}[${seg}]` : acc === "" ? String(seg) : `${acc}.${String(seg)}`),
        base,
    );
}

/** The value at `path` of `raw`, through own properties only; undefined when any segment is missing. */
export function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
    let cur: unknown = raw;
    for (const seg of path) {
        if (cur === null || typeof cur !== "object" || !Object.hasOwn(cur, seg)) {
            return undefined;
        }
        cur = (cur as Record<PropertyKey, unknown>)[seg];
    }
    return cur;
}

/** `path` is `prefix` or lies below it (`prefix.x`, `prefix[0]`); `services.ab` is not under `services.a`. */
export function isUnder(path: string, prefix: string): boolean {
    return path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);
}

/** `text` with every regular-expression metacharacter escaped. */
export const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Where a message names one of `paths` as a word of its own (`canary.version is not set`, `(canary.weight)`), not
 * as part of a longer path. Group 1 is what precedes the path, so `reason.replace(re, "$1<other path>")` renames it.
 */
export function mentionOf(paths: readonly string[], flags = ""): RegExp {
    return new RegExp(`(^|[\\s(])(?:${paths.map(escapeRegExp).join("|")})(?=[\\s;:,)]|$)`, flags);
}

/** The `pulumi config set` command that sets `path`: `value` is what to type (a placeholder by default). */
export function setFix(path: string, options: { value?: string; secret?: boolean } = {}): string {
    return `pulumi config set${options.secret === true ? " --secret" : ""} --path '${path}' ${options.value ?? "<valid value>"}`;
}

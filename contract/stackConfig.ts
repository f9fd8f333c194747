/**
 * How a stack's `mesh-traffic:` config reads as values, one rule for every reader (issue 18): Pulumi keeps a
 * top-level key's value as text (`pulumi config set skipAwait true` stores "true", a `--path` set stores the whole
 * object as JSON text), and each top-level text that is JSON is that JSON, except `layout`, `platformStack` and
 * `namespace`, which are text whatever they hold. Two edges hand the text over: the program's runtime map
 * ({@link configFromPulumiMap}) and `pulumi config --json` ({@link configFromCliJson}, mesh-release's driver, which
 * also collects the secrets' values for redaction: from the text as stored, so a secret that reads as a number or
 * an object is still redacted). Pure.
 */
import { setOwn } from "../components/ownKeys";
import { levenshtein } from "./didYouMean";
import { PROJECT } from "./project";

/** The value a config text holds: its JSON when it is JSON (`{"phase":...}`, `25`, `true`), else the text itself. */
export function jsonOrText(text: string): unknown {
    try {
        return JSON.parse(text) as unknown;
    } catch {
        return text; // a schema then reports the type mismatch with the value
    }
}

/** Top-level keys whose plain-string value is the value itself (not JSON). */
const STRING_KEYS: ReadonlySet<string> = new Set(["layout", "platformStack", "namespace"]);

/** The value of top-level key `key` (namespace stripped) whose config text is `text`: the one typing rule. */
export function configValue(key: string, text: string): unknown {
    return STRING_KEYS.has(key) ? text : jsonOrText(text);
}

/**
 * Turns Pulumi's flat config map (`"mesh-traffic:services": "<json>"`) into a plain object. Structured values
 * arrive as JSON, booleans and numbers as their text. Keys of a namespace one or two edits away from
 * `mesh-traffic` (a typo that Pulumi would silently keep) are returned in `strayKeys`.
 */
export function configFromPulumiMap(all: Readonly<Record<string, string>>): {
    raw: Record<string, unknown>;
    strayKeys: string[];
} {
    const raw: Record<string, unknown> = {};
    const strayKeys: string[] = [];
    for (const [fullKey, text] of Object.entries(all)) {
        const colon = fullKey.indexOf(":");
        const ns = fullKey.slice(0, colon);
        const key = fullKey.slice(colon + 1);
        if (ns !== PROJECT) {
            if (colon > 0 && ns !== "pulumi" && levenshtein(ns, PROJECT) <= 2) {
                strayKeys.push(fullKey);
            }
            continue;
        }
        setOwn(raw, key, configValue(key, text));
    }
    return { raw, strayKeys };
}

/** One entry of `pulumi config --json` (`--show-secrets`): the text as stored, whether it is secret, and Pulumi's own parse of structured text. */
export interface CliConfigEntry {
    value?: string;
    secret?: boolean;
    objectValue?: unknown;
}

/**
 * `pulumi config --json --show-secrets` as the stack's config (namespace stripped), typed by {@link configValue} as
 * the program reads it, and the plain values of its secrets for redaction: each secret's text as stored and every
 * string inside it. Never printed.
 */
export function configFromCliJson(map: Readonly<Record<string, CliConfigEntry>>): { config: Record<string, unknown>; secrets: string[] } {
    const config: Record<string, unknown> = {};
    const secrets: string[] = [];
    const prefix = `${PROJECT}:`;
    for (const [fullKey, entry] of Object.entries(map)) {
        if (!fullKey.startsWith(prefix)) {
            continue;
        }
        const key = fullKey.slice(prefix.length);
        const value = entry.value === undefined ? entry.objectValue : configValue(key, entry.value);
        setOwn(config, key, value);
        if (entry.secret === true) {
            secrets.push(...(entry.value !== undefined && entry.value.length > 0 ? [entry.value] : []), ...stringLeaves(value));
        }
    }
    return { config, secrets: [...new Set(secrets)] };
}

function stringLeaves(value: unknown): string[] {
    if (typeof value === "string") {
        return value.length > 0 ? [value] : [];
    }
    if (value === null || typeof value !== "object") {
        return [];
    }
    return Object.values(value as Record<string, unknown>).flatMap(stringLeaves);
}

/**
 * A stack's config given as values (a parsed stack file's, or what a command is about to write) as the program reads
 * it: Pulumi hands every top-level value over as text (`createNamespace: true` as "true", a mapping as its JSON),
 * typed again by {@link configValue}.
 */
export function configFromValues(config: Readonly<Record<string, unknown>>): Record<string, unknown> {
    const map: Record<string, string> = {};
    for (const [key, value] of Object.entries(config)) {
        map[`${PROJECT}:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
    }
    return configFromPulumiMap(map).raw;
}

/** `{secure: "v1:..."}` leaves become "[secret]" (a copy). */
function withoutCiphertexts(value: unknown): unknown {
    if (Array.isArray(value)) {
        return value.map(withoutCiphertexts);
    }
    if (value !== null && typeof value === "object") {
        const o = value as Record<string, unknown>;
        if (Object.keys(o).length === 1 && typeof o["secure"] === "string") {
            return "[secret]";
        }
        return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, withoutCiphertexts(v)]));
    }
    return value;
}

/** A parsed stack settings file's `mesh-traffic:` keys, prefix stripped, secure values as "[secret]", as written (not yet typed: {@link configFromStackFile}). */
export function plainStackConfig(settings: unknown): Record<string, unknown> {
    const config = (settings as { config?: unknown } | null)?.config;
    const plain: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(config !== null && typeof config === "object" ? config : {})) {
        if (key.startsWith(`${PROJECT}:`)) {
            setOwn(plain, key.slice(PROJECT.length + 1), withoutCiphertexts(value));
        }
    }
    return plain;
}

/** A parsed `Pulumi.<stack>.yaml`'s `mesh-traffic:` config as the program reads it (secure values as "[secret]"). */
export function configFromStackFile(settings: unknown): Record<string, unknown> {
    return configFromValues(plainStackConfig(settings));
}

/** Pulumi.yaml's `stackConfigDir` (where the project keeps its stack files, relative to it), when a parsed project file sets one. */
export function stackConfigDirOf(project: unknown): string | undefined {
    const dir = project !== null && typeof project === "object" ? (project as Record<string, unknown>)["stackConfigDir"] : undefined;
    return typeof dir === "string" && dir !== "" ? dir : undefined;
}

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

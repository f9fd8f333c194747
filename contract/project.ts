/**
 * The Pulumi project both programs share: its name (also the config namespace), how Pulumi hands a stack's
 * config over, and how stacks are named. Pure.
 */
import { setOwn } from "../components/ownKeys";
import { levenshtein } from "./didYouMean";

/**
 * The Pulumi project name and config namespace: `pulumi config set --path 'services.sample-app.canary.weight' 25`
 * needs no prefix.
 */
export const PROJECT = "mesh-traffic";

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
        setOwn(raw, key, STRING_KEYS.has(key) ? text : jsonOrText(text));
    }
    return { raw, strayKeys };
}

/** The conventional service stack name of a service in an environment: `<env>.<svc>`. */
export const serviceStackName = (env: string, service: string): string => `${env}.${service}`;

/** The service of a service stack name of `env` (`production.checkout` -> `checkout`); undefined for any other name. */
export const serviceOfStackName = (env: string, stack: string): string | undefined =>
    stack.startsWith(`${env}.`) && stack.length > env.length + 1 ? stack.slice(env.length + 1) : undefined;

/** The last segment of a stack name as `pulumi stack` prints it (`org/project/dev` -> `dev`). */
export const shortStackName = (stack: string): string => stack.slice(stack.lastIndexOf("/") + 1);

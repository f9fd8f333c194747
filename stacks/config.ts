/**
 * Stack config: check a plain object of `mesh-traffic:` keys and return the typed {@link StackConfig}, or every
 * problem (schema, unknown keys with a "did you mean", the cross-field rules of stacks/rules.ts and the
 * components' own checks through stacks/meshPlan.ts) with the config path, value, rule and fix. Pure, and loads
 * neither the Pulumi SDK nor a provider (test/unit/contract/noProvider.test.ts): mesh-release runs the same check
 * on the config it is about to write. stacks/readConfig.ts is the Pulumi edge: the error the engine prints
 * (`parseStackConfig`) and reading the runtime config (`readStackConfig`). Components never read config.
 *
 * Secrets (`release.prometheus.bearerToken`, `release.prometheus.basicAuth.password`, any value under a key
 * Pulumi marks secret) never appear in a message: values at secret paths render as `[secret]`.
 */
import { isDeepStrictEqual } from "node:util";
import type { z } from "zod";
import { setOwn } from "../components/ownKeys";
import { CONTROL_CHARS, CONTROL_CHARS_RULE } from "../components/validation";
import { describeLookalikes, foldLookalikes, isLookalikeName } from "../contract/didYouMean";
import { displayPath, issueProblems, ruleMessage, shownValue, showValue, tidyProblem, uniqueProblems, type StackConfigProblem } from "../contract/problems";
import { formatPath, isUnder, mentionOf, setFix, valueAt } from "../contract/paths";
import { plainSecretProblems } from "../contract/releaseRules";
import { stackConfigSchema, type StackConfig } from "../contract/schema";
import { isCredentialNamePath, isSecretKeyPath } from "../contract/secrets";
import { checkLayout } from "./layout";
import { checkAmbient, checkGatewayApi } from "./gatewayApi";
import { checkMeshPlan, checkObjectOwners } from "./meshPlan";
import { checkServiceRouting } from "./serviceRouting";
import { checkStackRules, type RuleProblem } from "./rules";
import { planStack, type StackPlan } from "./stackPlan";
import type { PlatformOutputs } from "../contract/platformOutput";

export type { StackConfig } from "../contract/schema";

export type { StackConfigProblem } from "../contract/problems";

// ---------------------------------------------------------------------------------------------
// Parse.

export interface ParseOptions {
    /** Top-level keys Pulumi holds as secrets (from `PULUMI_CONFIG_SECRET_KEYS`, without the namespace). */
    secretKeys?: readonly string[];
    /**
     * A service stack's platform stack output, when the caller has read it: the plan (and the components' checks) use
     * its namespace, as the stack built from it does. Without it a service stack is planned in the config's namespace.
     */
    platform?: PlatformOutputs;
}

/**
 * Rules across keys and the components' own checks of a config with the right shape, with the stack's one plan
 * (stacks/stackPlan.ts) they ran on. `secretKeys` (when the caller knows them) also refuses credentials given as plain
 * config.
 */
function semanticProblems(
    cfg: StackConfig,
    secretKeys: ReadonlySet<string> | undefined,
    present: readonly string[],
    layoutKnown = true,
    platform?: PlatformOutputs,
): { problems: RuleProblem[]; plan: StackPlan | undefined } {
    const plain =
        secretKeys === undefined
            ? []
            : plainSecretProblems(cfg.release, (path) => isSecretKeyPath(path, secretKeys)).map((p) => ({ ...p, fix: p.fix ?? setFix(p.propertyPath, { secret: true }) }));
    if (!layoutKnown) {
        // The layout was refused: which keys the stack may set, what it makes and where its routes go depend on
        // it, so only the rules that hold in every layout are judged (not as if the stack were `single`).
        return { problems: [...checkStackRules(cfg, { layoutKnown: false }), ...plain], plan: undefined };
    }
    const plan = planStack(cfg, platform);
    const serviceRouting = checkServiceRouting(cfg, (svc) => plan.mesh.canaries.find((x) => x.service === svc)?.args);
    return {
        problems: [
            ...checkLayout(present, cfg),
            ...checkStackRules(cfg),
            ...checkMeshPlan(cfg, plan.mesh),
            ...(plan.gatewayApi === undefined ? [] : checkGatewayApi(cfg, plan.gatewayApi)),
            ...checkAmbient(cfg, plan.gatewayApi?.waypoints),
            ...checkObjectOwners(cfg, plan.mesh),
            ...serviceRouting,
            ...plain,
        ],
        plan,
    };
}

/** A key no config may use: JavaScript gives it a meaning of its own (parsers drop it or change the prototype). */
const RESERVED_KEY = "__proto__";

/** Config paths where a control character is part of the value's language (a multi-line PromQL query). */
const MULTILINE = /^release\.analysis\.metrics\[\d+\]\.query$/;
const CONTROL_CHARS_ALL = new RegExp(CONTROL_CHARS.source, "g");
// eslint-disable-next-line no-control-regex -- control characters other than tab, newline and carriage return
const MULTILINE_FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** Characters that print as nothing (zero-width spaces and joiners, direction marks and overrides, the BOM). */
const INVISIBLE_CHARS = /[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;
const INVISIBLE_CHARS_ALL = new RegExp(INVISIBLE_CHARS.source, "g");
const INVISIBLE_RULE = "it must not contain invisible characters (zero-width spaces, direction marks): what is shown would not be what is matched";

/** A string that is a name (a key, a label, a host), once its look-alike characters are folded to ASCII. */
const NAME_LIKE = /^[A-Za-z0-9][-A-Za-z0-9_.:*]*$/;

/**
 * What no schema sees: an own `__proto__` key anywhere (zod and every object spread drop it silently), control
 * characters in any key or string (they end up in a header, a label or an image), and keys or names with
 * look-alike characters (Cyrillic "с" in "checkout"). Returns a copy without them (reserved keys removed, control
 * characters stripped, look-alikes folded to ASCII) so the other checks run on the rest, and the paths it touched
 * so that no check reports them a second time. `rollouts` is written by mesh-release only and is not walked; a
 * `credentialName` is left to the schema, which refuses key material there without echoing it.
 */
function rawProblems(raw: unknown, secretKeys: ReadonlySet<string>): { cleaned: unknown; problems: StackConfigProblem[]; touched: string[] } {
    const problems: StackConfigProblem[] = [];
    const touched: string[] = [];
    const walk = (value: unknown, path: readonly PropertyKey[]): unknown => {
        const p = formatPath(path);
        if (typeof value === "string") {
            if (isCredentialNamePath(p)) {
                return value;
            }
            const bad = MULTILINE.test(p) ? MULTILINE_FORBIDDEN.test(value) : CONTROL_CHARS.test(value);
            if (bad) {
                problems.push({ propertyPath: p, reason: `${displayPath(path)} is ${shownValue(p, value, secretKeys)}; ${CONTROL_CHARS_RULE}`, fix: setFix(displayPath(path), { secret: shownValue(p, value, secretKeys) === "[secret]" }) });
                touched.push(p);
                return value.replace(CONTROL_CHARS_ALL, "");
            }
            if (INVISIBLE_CHARS.test(value)) {
                problems.push({ propertyPath: p, reason: `${displayPath(path)} is ${shownValue(p, value, secretKeys)}; ${INVISIBLE_RULE}`, fix: setFix(displayPath(path), { secret: shownValue(p, value, secretKeys) === "[secret]" }) });
                touched.push(p);
                return value.replace(INVISIBLE_CHARS_ALL, "");
            }
            if (NAME_LIKE.test(foldLookalikes(value)) && isLookalikeName(value) && shownValue(p, value, secretKeys) !== "[secret]") {
                const meant = foldLookalikes(value);
                problems.push({
                    propertyPath: p,
                    reason: `${displayPath(path)} is ${showValue(value)}, which has look-alike characters: ${describeLookalikes(value)}; it must be plain ASCII; did you mean ${showValue(meant)}?`,
                    fix: setFix(displayPath(path), { value: meant }),
                });
                touched.push(p);
                return meant;
            }
            return value;
        }
        if (Array.isArray(value)) {
            return value.map((v, i) => walk(v, [...path, i]));
        }
        if (value === null || typeof value !== "object") {
            return value;
        }
        const out: Record<string, unknown> = {};
        for (const key of Object.keys(value)) {
            const child = (value as Record<string, unknown>)[key];
            const kp = formatPath([...path, key]);
            const shownKey = displayPath([...path, key]);
            if (key === RESERVED_KEY) {
                problems.push({
                    propertyPath: kp,
                    reason: `${shownKey} is a key JavaScript reserves (${showValue(key)}); no config key may be ${key}`,
                    fix: `pulumi config rm --path '${shownKey}'`,
                });
                touched.push(kp);
                continue;
            }
            let k = key;
            if (CONTROL_CHARS.test(key)) {
                problems.push({
                    propertyPath: kp,
                    reason: `${shownKey} is a key with control characters (${showValue(key)}); ${CONTROL_CHARS_RULE}`,
                    fix: `pulumi config rm --path '${shownKey}', then set the key without them`,
                });
                touched.push(kp);
                k = key.replace(CONTROL_CHARS_ALL, "");
            } else if (INVISIBLE_CHARS.test(key)) {
                problems.push({
                    propertyPath: kp,
                    reason: `${shownKey} is a key with invisible characters (${showValue(key)}); ${INVISIBLE_RULE}`,
                    fix: `pulumi config rm --path '${shownKey}', then set the key without them`,
                });
                touched.push(kp);
                k = key.replace(INVISIBLE_CHARS_ALL, "");
            } else if (isLookalikeName(key)) {
                k = foldLookalikes(key);
                problems.push({
                    propertyPath: kp,
                    reason: `${shownKey} has a key with look-alike characters (${showValue(key)}): ${describeLookalikes(key)}; a key must be plain ASCII; did you mean ${showValue(k)}?`,
                    fix: `pulumi config rm --path '${shownKey}', then set it again as '${displayPath([...path, k])}'`,
                });
                touched.push(kp);
            }
            setOwn(out, k, path.length === 0 && key === "rollouts" ? child : walk(child, [...path, key]));
        }
        return out;
    };
    const cleaned = walk(raw, []);
    return { cleaned, problems, touched };
}

/** Removes `path` from `obj` (own properties only); true when something was there. */
function removeAt(obj: unknown, path: readonly PropertyKey[]): boolean {
    const parent = valueAt(obj, path.slice(0, -1));
    const last = path[path.length - 1];
    if (last === undefined || parent === null || typeof parent !== "object" || !Object.hasOwn(parent, last)) {
        return false;
    }
    delete (parent as Record<PropertyKey, unknown>)[last];
    return true;
}

/**
 * `raw` without what the schema rejects, so the semantic checks can run on the rest and one run reports
 * every problem. Each round removes the rejected values; a value that is rejected again (a required key, an
 * array with a hole) takes its parent with it. Returns the parsed config of what is left and every removed
 * path.
 */
function parseWhatIsLeft(raw: unknown, issues: readonly z.core.$ZodIssue[]): { config: StackConfig | undefined; removed: string[]; unknownKeys: string[] } {
    const repaired = structuredClone(raw) as unknown;
    const removed = new Set<string>();
    const unknownKeys: string[] = [];
    let pending = issues;
    for (let round = 0; round < 64 && pending.length > 0; round++) {
        let progress = false;
        for (const issue of pending) {
            if (issue.code === "unrecognized_keys") {
                for (const k of issue.keys) {
                    if (removeAt(repaired, [...issue.path, k])) {
                        unknownKeys.push(formatPath([...issue.path, k]));
                        progress = true;
                    }
                }
                continue;
            }
            // Climb until something is removed: a value rejected again (an array with a hole, a missing
            // required key) takes its parent with it.
            for (let target: readonly PropertyKey[] = issue.path; target.length > 0; target = target.slice(0, -1)) {
                if (removeAt(repaired, target)) {
                    removed.add(formatPath(target));
                    progress = true;
                    break;
                }
            }
        }
        if (!progress) {
            break;
        }
        const next = stackConfigSchema.safeParse(repaired);
        if (next.success) {
            return { config: next.data, removed: [...removed], unknownKeys };
        }
        pending = next.error.issues;
    }
    return { config: undefined, removed: [...removed], unknownKeys };
}

/** The service (or top-level key) a config path belongs to: `services.x.canary.version` -> `services.x`. */
const ownerOf = (path: string): string => {
    const segs = path.split(".");
    return segs[0] === "services" && segs.length > 1 ? `services.${(segs[1] ?? "").split("[")[0] ?? ""}` : (path.split(/[.[]/, 1)[0] ?? path);
};

/**
 * A semantic problem that only follows from a value the schema rejected (and that was removed to run the
 * semantic checks): it lies under or above a removed path, is about one (`about`), or names one in its reason
 * (relative to their common service, as the components do: "canary.version is not set").
 */
function isFollowOn(p: RuleProblem, removed: readonly string[], unknownKeys: readonly string[]): boolean {
    // Under an unknown key; or, in a routing object, above it (a misspelt `rout` leaves the route without one).
    if (unknownKeys.some((k) => isUnder(p.propertyPath, k) || (isUnder(k, "routing") && isUnder(k, p.propertyPath)))) {
        return true;
    }
    return removed.some((r) => {
        // Under a removed value, or above it ("faults sets neither delay nor abort" once a bad delay is gone).
        if (isUnder(p.propertyPath, r) || isUnder(r, p.propertyPath) || (p.about ?? []).some((a) => isUnder(a, r))) {
            return true;
        }
        const owner = ownerOf(r);
        if (owner === r || !isUnder(p.propertyPath, owner)) {
            return false;
        }
        const relative = r.slice(owner.length + 1);
        return mentionOf([r, relative]).test(p.reason);
    });
}

const asProblem = (p: RuleProblem): StackConfigProblem => ({ propertyPath: p.propertyPath, reason: p.reason, fix: p.fix });

/**
 * Top-level keys `raw` sets to something other than their default: what the layout rules look at. A value
 * equal to the default does not count, because the Pulumi engine hands the program every key Pulumi.yaml
 * declares, with its default (`services: {}` reaches a platform stack's program though nobody set it).
 */
function presentKeys(raw: unknown): string[] {
    if (raw === null || typeof raw !== "object") return [];
    const shape = stackConfigSchema.shape as Record<string, { _zod: { def: { defaultValue?: unknown } } }>;
    return Object.entries(raw)
        .filter(([k, v]) => !(k in shape) || !isDeepStrictEqual(v, shape[k]?._zod.def.defaultValue))
        .map(([k]) => k);
}

/**
 * Every problem of `raw`, plus the typed config and its plan when there are none (stacks/stackPlan.ts: the plan the
 * checks ran on, which stacks/meshStack.ts builds as it is). Pure.
 */
export function checkStackConfig(
    raw: unknown,
    options: ParseOptions = {},
): { config: StackConfig; plan: StackPlan; problems: [] } | { config: undefined; plan?: undefined; problems: StackConfigProblem[] } {
    const secretKeys = new Set(options.secretKeys ?? []);
    const knownSecrets = options.secretKeys === undefined ? undefined : secretKeys;
    const pre = rawProblems(raw, secretKeys);
    const result = stackConfigSchema.safeParse(pre.cleaned, { error: ruleMessage });
    if (!result.success || pre.problems.length > 0) {
        const issues = result.success ? [] : result.error.issues;
        const problems = [
            ...pre.problems,
            ...issues.flatMap((i) => issueProblems(i, pre.cleaned, secretKeys)).filter((p) => !pre.touched.includes(p.propertyPath)),
        ];
        // Best effort: the rest of the config may still break Istio's rules; say so in the same run.
        const left = result.success ? { config: result.data, removed: [], unknownKeys: [] } : parseWhatIsLeft(pre.cleaned, issues);
        if (left.config !== undefined) {
            const removed = [...left.removed, ...pre.touched];
            const layoutKnown = !removed.some((r) => isUnder(r, "layout"));
            problems.push(
                ...semanticProblems(left.config, knownSecrets, presentKeys(pre.cleaned), layoutKnown, options.platform)
                    .problems.filter((p) => !isFollowOn(p, removed, left.unknownKeys))
                    .map(asProblem),
            );
        }
        return { config: undefined, problems: uniqueProblems(problems).map(tidyProblem) };
    }
    const checked = semanticProblems(result.data, knownSecrets, presentKeys(pre.cleaned), true, options.platform);
    const problems = uniqueProblems(checked.problems.map(asProblem)).map(tidyProblem);
    // semanticProblems plans a config whose layout is known, as this one's is.
    return problems.length === 0 && checked.plan !== undefined ? { config: result.data, plan: checked.plan, problems: [] } : { config: undefined, problems };
}

/**
 * The rollout policy: the stack's `release` config with the command-line overrides applied, validated,
 * and resolved to plain numbers (milliseconds, percent). Pure.
 *
 * Every problem is collected (the schema's and the cross-field rules', changesets-style) and thrown once
 * as a `CONFIG_INVALID` ReleaseError whose lines name the config path or flag, the value, the rule and the
 * fix. Secret values (Prometheus credentials) are never echoed.
 */
import { z } from "zod";
import { durationMs } from "../../components/validation";
import { issueProblems, ruleMessage, uniqueProblems, type StackConfigProblem } from "../../contract/problems";
import { jsonOrText } from "../../contract/stackConfig";
import { recordedRolloutStateSchema, releaseSchema, type RolloutState } from "../../contract/release";
import { configError, ReleaseError, type ConfigProblem } from "./errors";
import type { MachinePolicy } from "./machine";
import { LABEL_VALUE } from "../metrics/promql";
import { plainSecretProblems, PROMETHEUS_CREDENTIALS_ADVICE, PROMETHEUS_URL_EXAMPLE, releaseRules, stepsNotIncreasing, urlProblems } from "../../contract/releaseRules";
import type { WebhookSpec } from "../webhooks/webhooks";
import type { AnalysisThresholds } from "./analysis";
import { typedByPulumi } from "./edits";
import { valueAt } from "../../contract/paths";
import { show } from "../../components/validation";

/** Command-line overrides, as typed (strings are parsed and validated here). */
export interface PolicyOverrides {
    /** `--steps 10,25,50`. */
    steps?: string;
    /** `--interval 30s`. */
    interval?: string;
    /** `--success-rate 99` (percent). */
    successRate?: string;
    /** `--max-p95 500` (ms). */
    latencyP95Ms?: string;
    /** `--min-requests 20`. */
    minRequests?: string;
    /** `--prometheus-url http://...`. */
    prometheusUrl?: string;
}

export interface ReleasePolicy {
    steps: number[];
    intervalMs: number;
    /** How a step is judged (`release.analysis.mode`), with the sequential mode's settings. */
    analysis: { mode: "auto" | "fixed" | "sequential"; alpha: number; lookIntervalMs: number };
    machine: MachinePolicy;
    thresholds: AnalysisThresholds;
    reporter: "source" | "destination";
    customQueries: { name: string; query: string }[];
    prometheus: {
        url: string;
        timeoutMs: number;
        bearerToken?: string;
        basicAuth?: { username: string; password: string };
    };
    webhooks: WebhookSpec[];
    update: { retries: number; backoffMs: number };
    /** Approval gates (release/core/gate.ts), each before the step of weight `weight`. */
    gates: GateSpec[];
}

/** One approval gate, resolved. */
export interface GateSpec {
    /** The gated step's weight, percent. */
    weight: number;
    approval: "manual" | "ci";
    timeoutMs: number;
    onTimeout: "rollback" | "wait";
    /** Absent: every service. */
    services?: string[];
}

/**
 * Zod issues of the part of the config at `base` (`["release"]`, `["rollouts", svc]`) as problems, the way the
 * Pulumi program reports them (contract/problems.ts): path, value (never a secret), rule, and the fix.
 */
export function zodProblems(base: readonly PropertyKey[], raw: unknown, error: z.core.$ZodError): StackConfigProblem[] {
    const root: unknown = base.reduceRight<unknown>((inner, key) => ({ [key]: inner }), raw);
    return error.issues.flatMap((issue) => issueProblems({ ...issue, path: [...base, ...issue.path] } as z.core.$ZodIssue, root));
}

function parseNumber(flag: string, text: string, problems: ConfigProblem[], rule: { min: number; max: number; int?: boolean }): number | undefined {
    const n = Number(text);
    const bad = text.trim() === "" || !Number.isFinite(n) || n < rule.min || n > rule.max || (rule.int === true && !Number.isInteger(n));
    if (bad) {
        problems.push({
            propertyPath: flag,
            reason: `${flag} is ${JSON.stringify(text)}; it must be ${rule.int === true ? "an integer" : "a number"} from ${rule.min} to ${rule.max}`,
        });
        return undefined;
    }
    return n;
}

/** `"10,25,50"` -> [10, 25, 50], with problems for anything else. */
export function parseStepsFlag(text: string, problems: ConfigProblem[]): number[] | undefined {
    const parts = text.split(",").map((p) => p.trim());
    const steps: number[] = [];
    for (const p of parts) {
        if (!/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 100) {
            problems.push({
                propertyPath: "--steps",
                reason: `--steps is ${JSON.stringify(text)}; ${JSON.stringify(p)} is not an integer from 1 to 100 (write weights in percent, comma-separated: 10,25,50,75,100)`,
            });
            return undefined;
        }
        steps.push(Number(p));
    }
    return steps;
}

/** `--prometheus-url`: an http(s) URL without credentials (the same rule as release.prometheus.url). */
export function prometheusUrlProblems(text: string): ConfigProblem[] {
    return urlProblems("--prometheus-url", text, PROMETHEUS_URL_EXAMPLE, PROMETHEUS_CREDENTIALS_ADVICE).map(({ propertyPath, reason }) => ({ propertyPath, reason }));
}

/** The command-line overrides, parsed; every problem goes to `problems`. Needs no stack. */
function parseOverrides(
    overrides: PolicyOverrides,
    problems: ConfigProblem[],
): { steps?: number[]; intervalMs?: number; successRate?: number; latency?: number; minRequests?: number; prometheusUrl?: string } {
    let steps: number[] | undefined;
    if (overrides.steps !== undefined) {
        steps = parseStepsFlag(overrides.steps, problems);
        for (const { weight, previous } of stepsNotIncreasing(steps ?? [])) {
            problems.push({ propertyPath: "--steps", reason: `--steps is ${JSON.stringify(overrides.steps)}; weights must increase strictly (${previous} then ${weight})` });
        }
    }
    let intervalMs: number | undefined;
    if (overrides.interval !== undefined) {
        intervalMs = durationMs(overrides.interval);
        if (intervalMs === undefined || intervalMs < 1000) {
            problems.push({
                propertyPath: "--interval",
                reason: `--interval is ${JSON.stringify(overrides.interval)}; it must be a Go-style duration of at least 1s, such as 30s or 1m30s`,
            });
        }
    }
    const successRate = overrides.successRate !== undefined ? parseNumber("--success-rate", overrides.successRate, problems, { min: 0, max: 100 }) : undefined;
    const latency = overrides.latencyP95Ms !== undefined ? parseNumber("--max-p95", overrides.latencyP95Ms, problems, { min: 1, max: 3_600_000 }) : undefined;
    const minRequests = overrides.minRequests !== undefined ? parseNumber("--min-requests", overrides.minRequests, problems, { min: 1, max: 1e9, int: true }) : undefined;
    let prometheusUrl: string | undefined;
    if (overrides.prometheusUrl !== undefined) {
        const urlProblemsOfFlag = prometheusUrlProblems(overrides.prometheusUrl);
        problems.push(...urlProblemsOfFlag);
        prometheusUrl = urlProblemsOfFlag.length === 0 ? new URL(overrides.prometheusUrl).href : undefined;
    }
    return { steps, intervalMs, successRate, latency, minRequests, prometheusUrl };
}

/** A `services.<name>` key as the stack schema accepts it (a DNS label). */
const SERVICE_KEY = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Every problem of a command's own flags (service, version, policy overrides), found without reading the
 * stack: a mistake in a flag is a usage error (exit 2) even when the Pulumi CLI cannot run.
 */
export function requestProblems(req: { service: string; version?: string; overrides?: PolicyOverrides }): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    if (!SERVICE_KEY.test(req.service) || req.service.length > 63) {
        problems.push({
            propertyPath: "--service",
            reason: `--service is ${JSON.stringify(req.service)}; it must be a service key of the stack config (services.<name>): a DNS label of lower-case letters, digits and '-', such as sample-app`,
        });
    }
    if (req.version !== undefined) {
        const vp = versionProblem("--version", req.version);
        if (vp !== undefined) {
            problems.push(vp);
        }
    }
    parseOverrides(req.overrides ?? {}, problems);
    return problems;
}

/**
 * The policy of stack `stack` from its raw `release` config and the flags. Throws one CONFIG_INVALID
 * error listing every problem.
 */
export function resolvePolicy(stack: string, rawRelease: unknown, overrides: PolicyOverrides = {}, options: { secrets?: readonly string[] } = {}): ReleasePolicy {
    const problems: ConfigProblem[] = [];
    const parsed = releaseSchema.safeParse(rawRelease ?? {}, { error: ruleMessage });
    if (!parsed.success) {
        // The same reasons `pulumi up` gives for these values (without its fix: the lines here name the config path).
        problems.push(...zodProblems(["release"], rawRelease, parsed.error).map(({ propertyPath, reason }) => ({ propertyPath, reason })));
    }
    const { steps, intervalMs, successRate, latency, minRequests, prometheusUrl } = parseOverrides(overrides, problems);
    if (parsed.success) {
        problems.push(...releaseRules(parsed.data).map(({ propertyPath, reason }) => ({ propertyPath, reason })));
        const secrets = options.secrets;
        if (secrets !== undefined) {
            problems.push(...plainSecretProblems(parsed.data, (_path, value) => secrets.includes(value)).map((p) => ({ propertyPath: p.propertyPath, reason: `${p.reason} (fix: ${p.fix ?? ""})` })));
        }
    }
    if (parsed.success) {
        problems.push(...gateStepProblems(parsed.data.gates, steps ?? parsed.data.steps, steps !== undefined ? overrides.steps : undefined));
    }
    if (!parsed.success || problems.length > 0) {
        throw configError(`stack ${stack}: the release policy is invalid (config key mesh-traffic:release and flags)`, problems);
    }
    const r = parsed.data;
    const a = r.analysis;
    return {
        steps: steps ?? r.steps,
        intervalMs: intervalMs ?? durationMs(r.interval) ?? 60_000,
        analysis: { mode: a.mode, alpha: a.alpha, lookIntervalMs: durationMs(r.prometheus.scrapeInterval) ?? 15_000 },
        machine: {
            steps: steps ?? r.steps,
            failureLimit: a.failureLimit,
            inconclusiveLimit: a.inconclusiveLimit,
            errorLimit: a.errorLimit,
        },
        thresholds: {
            successRate: successRate ?? a.successRate,
            latencyP95Ms: latency ?? a.latencyP95Ms,
            minRequests: minRequests ?? a.minRequests,
            maxErrorRateIncrease: a.compareWithStable?.maxErrorRateIncrease,
            custom: a.metrics.map((m) => ({ name: m.name, min: m.min, max: m.max })),
        },
        reporter: a.reporter,
        customQueries: a.metrics.map((m) => ({ name: m.name, query: m.query })),
        prometheus: {
            url: prometheusUrl ?? r.prometheus.url,
            timeoutMs: durationMs(r.prometheus.timeout) ?? 5000,
            bearerToken: r.prometheus.bearerToken,
            basicAuth: r.prometheus.basicAuth,
        },
        webhooks: r.webhooks.map((h) => ({ name: h.name, type: h.type, url: h.url, timeoutMs: durationMs(h.timeout) ?? 10_000, retries: h.retries })),
        update: { retries: r.update.retries, backoffMs: durationMs(r.update.backoff) ?? 5000 },
        gates: r.gates.map((g) => ({
            weight: g.beforeStep,
            approval: g.approval,
            timeoutMs: durationMs(g.timeout) ?? 3_600_000,
            onTimeout: g.onTimeout,
            ...(g.services !== undefined ? { services: [...g.services] } : {}),
        })),
    };
}

/**
 * A gate before a step the rollout does not have would never stop anything: refused, naming the gate, the steps (the
 * policy's, or `--steps`) and the fix.
 */
function gateStepProblems(gates: readonly { beforeStep: number }[], steps: readonly number[], stepsFlag: string | undefined): ConfigProblem[] {
    return gates.flatMap((g, i) => {
        if (steps.includes(g.beforeStep)) {
            return [];
        }
        const p = `release.gates[${i}].beforeStep`;
        const whose = stepsFlag !== undefined ? `--steps ${stepsFlag}` : `release.steps [${steps.join(", ")}]`;
        return [
            {
                propertyPath: stepsFlag !== undefined ? "--steps" : p,
                reason:
                    `${p} is ${g.beforeStep}, which is not a step of this rollout (${whose}); a gate stands before one of the steps: ` +
                    `fix: pulumi config set --path '${p}' <one of ${steps.join(", ")}>${stepsFlag !== undefined ? `, or give --steps that include ${g.beforeStep}` : ""}`,
            },
        ];
    });
}

/**
 * The stack's side of a command's preflight: the service's context and the policy (config and flags), with
 * every problem of either. Pure; rollout.ts and oneShot.ts both use it, so they cannot drift apart.
 */
export function stackPreflight(
    stack: string,
    snapshot: { config: Readonly<Record<string, unknown>>; secrets: readonly string[]; inherited?: { namespace?: string } },
    service: string,
    overrides: PolicyOverrides | undefined,
): { problems: ConfigProblem[]; ctx: ServiceContext | undefined; policy: ReleasePolicy | undefined } {
    const problems: ConfigProblem[] = [];
    const ctx = serviceContext(snapshot.config, service, problems, snapshot.inherited?.namespace);
    let policy: ReleasePolicy | undefined;
    try {
        policy = resolvePolicy(stack, snapshot.config.release, overrides, { secrets: snapshot.secrets });
    } catch (err) {
        if (!(err instanceof ReleaseError)) {
            throw err;
        }
        problems.push(...err.problems);
    }
    return { problems, ctx, policy };
}

/**
 * Flag problems first (found without the stack), then whatever the stack adds when it can be read; one
 * problem is listed once. For a command refused for its flags: the stack is read only to report more.
 */
export async function flagRefusal(
    req: { service: string; version?: string; overrides?: PolicyOverrides },
    read: () => Promise<{ config: Readonly<Record<string, unknown>>; secrets: readonly string[] }>,
    stack: string,
): Promise<ConfigProblem[]> {
    const flags = requestProblems(req);
    if (flags.length === 0) {
        return [];
    }
    const more = await read().then(
        (snapshot) => stackPreflight(stack, snapshot, req.service, req.overrides).problems,
        () => [],
    );
    return uniqueProblems([...flags, ...more]);
}

/** What the rollout needs to know about the service from the stack config. */
export interface ServiceContext {
    namespace: string;
    stableVersion: string;
    canaryVersion: string | undefined;
    weight: number;
    routed: boolean;
    /** The recorded state, if any. */
    state: RolloutState | undefined;
}

/** Reads the service's part of the config; problems are collected into `problems`. */
export function serviceContext(
    config: Readonly<Record<string, unknown>>,
    svc: string,
    problems: ConfigProblem[],
    /** A service stack's namespace is its platform stack's (release/driver/platform.ts). */
    inheritedNamespace?: string,
): ServiceContext | undefined {
    const services = config.services;
    const raw = valueAt(config, ["services", svc]);
    if (raw === undefined || raw === null || typeof raw !== "object") {
        const known = services !== null && typeof services === "object" ? Object.keys(services) : [];
        problems.push({
            propertyPath: `services.${svc}`,
            reason: `services.${svc} does not exist in the stack config; known services: ${known.length > 0 ? known.join(", ") : "none"}`,
        });
        return undefined;
    }
    const stableVersion = valueAt(raw, ["stable", "version"]);
    if (typeof stableVersion !== "string" || stableVersion === "") {
        problems.push({ propertyPath: `services.${svc}.stable.version`, reason: `services.${svc}.stable.version is ${stableVersion === undefined ? "missing" : show(stableVersion)}; the service needs a stable version label such as v1` });
        return undefined;
    }
    const canaryVersion = valueAt(raw, ["canary", "version"]);
    const weight = valueAt(raw, ["canary", "weight"]);
    const routed = valueAt(raw, ["canary", "routed"]);
    // A service stack has no namespace of its own (what `pulumi config` shows there is the project default).
    const namespace = inheritedNamespace ?? config.namespace;
    let state: RolloutState | undefined;
    const rawState = valueAt(config, ["rollouts", svc]);
    if (rawState !== undefined) {
        const parsed = recordedRolloutStateSchema.safeParse(rawState, { error: ruleMessage });
        if (parsed.success) {
            state = parsed.data;
        } else {
            // The values inside the JSON string mesh-release wrote, so that a message shows the bad one.
            const recorded = typeof rawState === "string" ? jsonOrText(rawState) : rawState;
            problems.push(...zodProblems(["rollouts", svc], recorded, parsed.error).map((p) => ({
                propertyPath: p.propertyPath,
                reason: `${p.reason} (the recorded rollout state is damaged; remove it with: pulumi config rm --path rollouts.${svc})`,
            })));
        }
    }
    return {
        namespace: typeof namespace === "string" ? namespace : "mesh-traffic",
        stableVersion,
        canaryVersion: typeof canaryVersion === "string" ? canaryVersion : undefined,
        weight: typeof weight === "number" ? weight : 0,
        routed: typeof routed === "boolean" ? routed : true,
        state,
    };
}

/**
 * A version label the release may write: a label value that `pulumi config set --path` keeps a string
 * (not `2`, not `true`), lower-case like the stack schema wants.
 */
export function versionProblem(flag: string, version: string): ConfigProblem | undefined {
    if (!LABEL_VALUE.test(version) || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(version) || version.length > 40) {
        return {
            propertyPath: flag,
            reason: `${flag} is ${JSON.stringify(version)}; it must be a lower-case version label of at most 40 characters (letters, digits, '-', '.'), such as v2`,
        };
    }
    const typed = typedByPulumi(version);
    if (typed !== undefined) {
        return {
            propertyPath: flag,
            reason: `${flag} is ${JSON.stringify(version)}; pulumi config set --path would store it as a ${typed}, not a version string; use a label such as v${version}`,
        };
    }
    return undefined;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
    return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * The effective `release` config of a service stack: its platform stack's `release` overlaid by its own.
 * Objects merge key by key (the service's value wins); lists and plain values are replaced whole (a service's
 * `steps` or `webhooks` replace the platform's, never append to them). Pure; undefined when neither has one.
 */
export function overlayRelease(platform: unknown, service: unknown): unknown {
    if (service === undefined) {
        return platform === undefined ? undefined : structuredClone(platform);
    }
    if (!isPlainObject(platform) || !isPlainObject(service)) {
        return structuredClone(service);
    }
    const out: Record<string, unknown> = structuredClone(platform);
    for (const [key, value] of Object.entries(service)) {
        out[key] = overlayRelease(out[key], value);
    }
    return out;
}

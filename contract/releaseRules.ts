/**
 * The rules of the `release` policy across its fields, one set for both programs: the Pulumi program's
 * stack-config check (stacks/rules.ts) and `mesh-release`'s policy (release/core/policy.ts) run these same functions
 * on the same schema (contract/release.ts), so `pulumi up` refuses exactly what `mesh-release` would. Pure.
 *
 * No rule echoes a credential: a URL with a user or password is shown as `scheme://[secret]@host`, and a
 * plain-text token as `[secret]`.
 */
import { durationMs } from "../components/validation";
import type { ReleaseConfig } from "./release";
import { setFix } from "./paths";
import { credentialsOf, redactUrlToken } from "./secrets";

/** Variables a custom metric's query template may use (`{{service}}`, ...). */
export const TEMPLATE_VARIABLES = ["service", "namespace", "version", "interval"] as const;

/** A problem for each `{{name}}` in `template` that is not one of {@link TEMPLATE_VARIABLES}. */
export function templateVariableProblems(template: string): string[] {
    return [...template.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)]
        .map((m) => m[1] ?? "")
        .filter((name) => !(TEMPLATE_VARIABLES as readonly string[]).includes(name))
        .map((name) => `unknown variable {{${name}}}; use one of ${TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join(", ")}`);
}

/** Weights that do not increase strictly: each with the weight before it. */
export function stepsNotIncreasing(steps: readonly number[]): { index: number; weight: number; previous: number }[] {
    return steps.flatMap((weight, index) => {
        const previous = steps[index - 1];
        return previous !== undefined && weight <= previous ? [{ index, weight, previous }] : [];
    });
}

/** One problem of the release policy; `fix` when there is a command to give. */
export interface ReleaseRuleProblem {
    propertyPath: string;
    reason: string;
    fix?: string;
}

/**
 * The text of a URL with any user-info replaced by `[secret]` (also for text that does not parse), and a URL
 * that carries a token (`/services/T000/B000/XXXX`, `?token=`) shown as its origin and `[secret]`.
 */
export function redactUrl(text: string): string {
    return redactUrlToken(text.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#]*@/, "$1[secret]@"));
}

/**
 * An http(s) URL without credentials. `example` is shown in the rule; `credentialsAdvice` says where
 * credentials go instead.
 */
export function urlProblems(path: string, text: string, example: string, credentialsAdvice: string): ReleaseRuleProblem[] {
    let url: URL | undefined;
    try {
        url = new URL(text);
    } catch {
        url = undefined;
    }
    const out: ReleaseRuleProblem[] = [];
    if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
        out.push({ propertyPath: path, reason: `${path} is ${JSON.stringify(redactUrl(text))}; it must be an http or https URL such as ${example}` });
    }
    if (url !== undefined && (url.username !== "" || url.password !== "")) {
        out.push({ propertyPath: path, reason: `${path} contains credentials (${url.protocol}//[secret]@${url.host}); ${credentialsAdvice}` });
    }
    return out;
}

export const PROMETHEUS_URL_EXAMPLE = "http://127.0.0.1:9090";
export const PROMETHEUS_CREDENTIALS_ADVICE =
    "put them in release.prometheus.basicAuth as a secret (pulumi config set --secret --path 'release.prometheus.basicAuth.password' <password>)";

/**
 * Credentials given as plain config instead of Pulumi secrets: `isSecret(path, value)` says whether the
 * stack holds that value as a secret (the program knows which keys are secret, mesh-release which values).
 */
export function plainSecretProblems(release: ReleaseConfig, isSecret: (path: string, value: string) => boolean): ReleaseRuleProblem[] {
    return credentialsOf(release)
        .filter((c) => !isSecret(c.path, c.value))
        .map((c) => ({
            propertyPath: c.path,
            reason: `${c.path} is ${c.shown} in plain text; ${c.what} must be a Pulumi secret`,
            fix: setFix(c.path, { value: c.shown === "[secret]" ? "<value>" : "<url>", secret: true }),
        }));
}

/**
 * Timeouts of zero (`"0"`, `"0s"`, or shorter than a millisecond): every webhook call or Prometheus query
 * would be cancelled before it is answered, so every gate and every analysis fails.
 */
function zeroTimeoutProblems(release: ReleaseConfig): ReleaseRuleProblem[] {
    const timeouts = [
        { path: "release.prometheus.timeout", value: release.prometheus.timeout, what: "every Prometheus query would time out at once (every analysis an error)", example: "5s" },
        ...release.webhooks.map((h, i) => ({
            path: `release.webhooks[${i}].timeout`,
            value: h.timeout,
            what: `every call of webhook ${JSON.stringify(h.name)} would time out before it is answered (a gate fails the rollout)`,
            example: "10s",
        })),
    ];
    return timeouts
        .filter((t) => (durationMs(t.value) ?? 1) < 1)
        .map((t) => ({
            propertyPath: t.path,
            reason: `${t.path} is ${JSON.stringify(t.value)}; a timeout must be at least 1ms: ${t.what}`,
            fix: setFix(t.path, { value: t.example }),
        }));
}

/** Cross-field rules of a schema-valid release config. */
export function releaseRules(release: ReleaseConfig): ReleaseRuleProblem[] {
    const problems: ReleaseRuleProblem[] = [];
    for (const { index: i, weight: w, previous: prev } of stepsNotIncreasing(release.steps)) {
        problems.push({
            propertyPath: `release.steps[${i}]`,
            reason: `release.steps[${i}] is ${w}; steps must increase strictly (${prev} comes before it); list the canary weights in ascending order`,
        });
    }
    const intervalMs = durationMs(release.interval) ?? 0;
    if (intervalMs < 1000) {
        problems.push({ propertyPath: "release.interval", reason: `release.interval is ${JSON.stringify(release.interval)}; it must be at least 1s (the analysis window)` });
    }
    problems.push(...urlProblems("release.prometheus.url", release.prometheus.url, PROMETHEUS_URL_EXAMPLE, PROMETHEUS_CREDENTIALS_ADVICE));
    if ((durationMs(release.prometheus.scrapeInterval) ?? 0) < 100) {
        problems.push({
            propertyPath: "release.prometheus.scrapeInterval",
            reason: `release.prometheus.scrapeInterval is ${JSON.stringify(release.prometheus.scrapeInterval)}; it must be at least 100ms`,
            fix: "set it to your Prometheus' scrape_interval (15s by default): pulumi config set --path release.prometheus.scrapeInterval 15s",
        });
    }
    problems.push(...zeroTimeoutProblems(release));
    const scrapeMs = durationMs(release.prometheus.scrapeInterval) ?? 0;
    if (release.analysis.mode === "sequential" && intervalMs >= 1000 && scrapeMs > intervalMs) {
        problems.push({
            propertyPath: "release.prometheus.scrapeInterval",
            reason:
                `release.prometheus.scrapeInterval is ${JSON.stringify(release.prometheus.scrapeInterval)}, longer than release.interval ` +
                `(${JSON.stringify(release.interval)}), the window of each step; the sequential analysis (release.analysis.mode sequential) ` +
                "looks once per scrape, so a step would end before Prometheus has a new sample to judge: every step Inconclusive, " +
                "and the rollout rolls back; the window must be at least one scrape interval",
            fix:
                `set release.interval to several scrape intervals (pulumi config set --path release.interval ${Math.ceil((scrapeMs * 4) / 1000)}s), ` +
                "or scrapeInterval to your Prometheus' scrape_interval if it is shorter",
        });
    }
    if (release.prometheus.bearerToken !== undefined && release.prometheus.basicAuth !== undefined) {
        problems.push({ propertyPath: "release.prometheus", reason: "release.prometheus has both bearerToken and basicAuth; keep one" });
    }
    const names = new Set<string>();
    release.analysis.metrics.forEach((m, i) => {
        const p = `release.analysis.metrics[${i}]`;
        if (m.min === undefined && m.max === undefined) {
            problems.push({ propertyPath: p, reason: `${p} (${m.name}) has neither min nor max; set at least one bound, e.g. --path ${p}.max 0.5` });
        }
        if (m.min !== undefined && m.max !== undefined && m.min > m.max) {
            problems.push({ propertyPath: p, reason: `${p} (${m.name}) has min ${m.min} above max ${m.max}; swap them` });
        }
        if (names.has(m.name)) {
            problems.push({ propertyPath: `${p}.name`, reason: `${p}.name is ${JSON.stringify(m.name)}, used twice; metric names must be unique` });
        }
        names.add(m.name);
        for (const problem of templateVariableProblems(m.query)) {
            problems.push({ propertyPath: `${p}.query`, reason: `${p}.query: ${problem}` });
        }
    });
    const hooks = new Set<string>();
    release.webhooks.forEach((h, i) => {
        const p = `release.webhooks[${i}]`;
        problems.push(...urlProblems(`${p}.url`, h.url, "https://hooks.example.com/rollout", "a webhook URL must not carry credentials"));
        if (hooks.has(h.name)) {
            problems.push({ propertyPath: `${p}.name`, reason: `${p}.name is ${JSON.stringify(h.name)}, used twice; webhook names must be unique` });
        }
        hooks.add(h.name);
    });
    problems.push(...gateRules(release));
    return problems;
}

/**
 * The gates' own rules: a timeout of at least 1s, and one gate per step and service. Whether `beforeStep` is one of
 * the steps is checked where the effective steps are known (release/core/policy.ts: a service stack's steps may be its
 * platform stack's, and `--steps` overrides them).
 */
function gateRules(release: ReleaseConfig): ReleaseRuleProblem[] {
    const problems: ReleaseRuleProblem[] = [];
    release.gates.forEach((g, i) => {
        const p = `release.gates[${i}]`;
        if ((durationMs(g.timeout) ?? 0) < 1000) {
            problems.push({
                propertyPath: `${p}.timeout`,
                reason: `${p}.timeout is ${JSON.stringify(g.timeout)}; a gate's timeout must be at least 1s (the time people or CI get to approve)`,
                fix: setFix(`${p}.timeout`, { value: "1h" }),
            });
        }
        const twin = release.gates.findIndex((o, j) => j < i && o.beforeStep === g.beforeStep && (o.services === undefined || g.services === undefined || o.services.some((s) => g.services?.includes(s))));
        if (twin >= 0) {
            problems.push({
                propertyPath: `${p}.beforeStep`,
                reason: `${p}.beforeStep is ${g.beforeStep}, which release.gates[${twin}] gates already (for the same services); one gate per step and service`,
                fix: `pulumi config rm --path '${p}', or give each gate its own services`,
            });
        }
    });
    return problems;
}

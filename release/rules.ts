/**
 * The rules of the `release` policy across its fields, one set for both programs: the Pulumi program's
 * stack-config check (stacks/rules.ts) and `mesh-release`'s policy (policy.ts) run these same functions on
 * the same schema (config.ts), so `pulumi up` refuses exactly what `mesh-release` would. Pure.
 *
 * No rule echoes a credential: a URL with a user or password is shown as `scheme://[secret]@host`, and a
 * plain-text token as `[secret]`.
 */
import { parseDuration, type ReleaseConfig } from "./config";
import { renderTemplate } from "./metrics/promql";

/** One problem of the release policy; `fix` when there is a command to give. */
export interface ReleaseRuleProblem {
    propertyPath: string;
    reason: string;
    fix?: string;
}

/** The text of a URL with any user-info replaced by `[secret]` (also for text that does not parse). */
export function redactUrl(text: string): string {
    return text.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#]*@/, "$1[secret]@");
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

/** The config paths of the release policy's credentials, with their values in `release`. */
export function credentialsOf(release: ReleaseConfig): { path: string; value: string }[] {
    const out: { path: string; value: string }[] = [];
    if (release.prometheus.bearerToken !== undefined) {
        out.push({ path: "release.prometheus.bearerToken", value: release.prometheus.bearerToken });
    }
    if (release.prometheus.basicAuth !== undefined) {
        out.push({ path: "release.prometheus.basicAuth.password", value: release.prometheus.basicAuth.password });
    }
    return out;
}

/**
 * Credentials given as plain config instead of Pulumi secrets: `isSecret(path, value)` says whether the
 * stack holds that value as a secret (the program knows which keys are secret, mesh-release which values).
 */
export function plainSecretProblems(release: ReleaseConfig, isSecret: (path: string, value: string) => boolean): ReleaseRuleProblem[] {
    return credentialsOf(release)
        .filter((c) => !isSecret(c.path, c.value))
        .map((c) => ({
            propertyPath: c.path,
            reason: `${c.path} is [secret] in plain text; a credential must be a Pulumi secret`,
            fix: `pulumi config set --secret --path '${c.path}' <value>`,
        }));
}

/** Cross-field rules of a schema-valid release config. */
export function releaseRules(release: ReleaseConfig): ReleaseRuleProblem[] {
    const problems: ReleaseRuleProblem[] = [];
    release.steps.forEach((w, i) => {
        const prev = release.steps[i - 1];
        if (prev !== undefined && w <= prev) {
            problems.push({
                propertyPath: `release.steps[${i}]`,
                reason: `release.steps[${i}] is ${w}; steps must increase strictly (${prev} comes before it); list the canary weights in ascending order`,
            });
        }
    });
    const intervalMs = parseDuration(release.interval) ?? 0;
    if (intervalMs < 1000) {
        problems.push({ propertyPath: "release.interval", reason: `release.interval is ${JSON.stringify(release.interval)}; it must be at least 1s (the analysis window)` });
    }
    problems.push(...urlProblems("release.prometheus.url", release.prometheus.url, PROMETHEUS_URL_EXAMPLE, PROMETHEUS_CREDENTIALS_ADVICE));
    if ((parseDuration(release.prometheus.scrapeInterval) ?? 0) < 100) {
        problems.push({
            propertyPath: "release.prometheus.scrapeInterval",
            reason: `release.prometheus.scrapeInterval is ${JSON.stringify(release.prometheus.scrapeInterval)}; it must be at least 100ms`,
            fix: "set it to your Prometheus' scrape_interval (15s by default): pulumi config set --path release.prometheus.scrapeInterval 15s",
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
        const rendered = renderTemplate(m.query, { service: "svc", namespace: "ns", version: "v1", interval: "1m" });
        if (!rendered.ok) {
            for (const problem of rendered.problems) {
                problems.push({ propertyPath: `${p}.query`, reason: `${p}.query: ${problem}` });
            }
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
    return problems;
}

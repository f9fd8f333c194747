/**
 * Collects one analysis' measurements from Istio's standard metrics (and the custom templates) through a
 * {@link MetricsProvider}. The queries are built by promql.ts; judging them is analysis.ts's job.
 */
import type { AnalysisMeasurements, Measurement } from "../core/analysis";
import { errorMessage } from "../core/errors";
import { latencyP95Query, promqlRange, renderTemplate, requestCountQuery, successRateQuery, WorkloadSelector } from "./promql";
import type { MetricsProvider } from "./provider";

export interface MeasureSpec {
    reporter: "source" | "destination";
    service: string;
    namespace: string;
    canaryVersion: string;
    /** Absent when there is no stable version to measure (then no comparison is possible). */
    stableVersion?: string;
    /** Window, ms. */
    windowMs: number;
    /** Measure stable too (for the comparison and the report). */
    includeStable: boolean;
    custom: readonly { name: string; query: string }[];
}

/** Runs every query of one analysis in parallel; a failed query becomes `{ error }`, never a throw. */
export async function measure(provider: MetricsProvider, spec: MeasureSpec, signal?: AbortSignal): Promise<AnalysisMeasurements> {
    const run = async (query: string): Promise<Measurement> => {
        try {
            return { value: await provider.instant(query, signal) };
        } catch (err) {
            return { error: errorMessage(err) };
        }
    };
    const canary: WorkloadSelector = { reporter: spec.reporter, service: spec.service, namespace: spec.namespace, version: spec.canaryVersion };
    const stable: WorkloadSelector | undefined =
        spec.includeStable && spec.stableVersion !== undefined
            ? { reporter: spec.reporter, service: spec.service, namespace: spec.namespace, version: spec.stableVersion }
            : undefined;
    const custom = spec.custom.map(async (c): Promise<[string, Measurement]> => {
        const rendered = renderTemplate(c.query, {
            service: spec.service,
            namespace: spec.namespace,
            version: spec.canaryVersion,
            interval: promqlRange(spec.windowMs),
        });
        return [c.name, rendered.ok ? await run(rendered.query) : { error: rendered.problems.join("; ") }];
    });
    const [canaryRequests, canarySuccessRate, canaryLatencyP95, stableRequests, stableSuccessRate, stableLatencyP95, customPairs] = await Promise.all([
        run(requestCountQuery(canary, spec.windowMs)),
        run(successRateQuery(canary, spec.windowMs)),
        run(latencyP95Query(canary, spec.windowMs)),
        stable !== undefined ? run(requestCountQuery(stable, spec.windowMs)) : undefined,
        stable !== undefined ? run(successRateQuery(stable, spec.windowMs)) : undefined,
        stable !== undefined ? run(latencyP95Query(stable, spec.windowMs)) : undefined,
        Promise.all(custom),
    ]);
    return {
        canaryRequests,
        canarySuccessRate,
        canaryLatencyP95,
        stableRequests,
        stableSuccessRate,
        stableLatencyP95,
        custom: Object.fromEntries(customPairs),
    };
}

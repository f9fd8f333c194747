/**
 * Errors of the release program. Every error carries a `code` (stable, for tooling), a `hint` (what to do)
 * and the process exit code it maps to (pnpm's PnpmError shape). Messages never contain secrets: the
 * reporters pass every string through the one redaction mechanism (contract/redact.ts `Redactor`) as a
 * second line of defence.
 */

/** Exit codes of `mesh-release`. */
export const ExitCode = {
    /** Promoted, or the command succeeded. */
    Ok: 0,
    /** The rollout was rolled back (or aborted). */
    RolledBack: 1,
    /** Bad flags or bad stack config; nothing was applied. */
    Usage: 2,
    /** Pulumi, the stack lock, Prometheus or the file system failed in a way the rollout could not handle. */
    Infrastructure: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export type ReleaseErrorCode =
    | "CONFIG_INVALID"
    | "USAGE"
    | "ROLLOUT_CONFLICT"
    | "CONCURRENT_UPDATE"
    | "UPDATE_FAILED"
    | "STACK_NOT_FOUND"
    | "PULUMI_UNAVAILABLE"
    | "METRICS_UNAVAILABLE"
    | "LIVE_SPLIT_MISMATCH"
    /** An approved update plan whose program or config changed since its preview (release/core/gate.ts). */
    | "PLAN_STALE"
    /** The record of a gate a release waits at was removed or replaced. */
    | "GATE_LOST"
    /** No gate to approve or reject, or a decision the gate refuses (mesh-release approve|reject). */
    | "GATE_REFUSED"
    | "CANCELLED";

/** One problem found while validating input: where, and a reason naming the value, the rule and the fix. */
export interface ConfigProblem {
    /** Config path, e.g. `release.steps[1]` or the flag, e.g. `--interval`. */
    propertyPath: string;
    reason: string;
}

export class ReleaseError extends Error {
    readonly code: ReleaseErrorCode;
    readonly hint: string | undefined;
    readonly exitCode: ExitCode;
    /** Every problem, for validation errors (the message lists them too). */
    readonly problems: readonly ConfigProblem[];

    constructor(args: {
        code: ReleaseErrorCode;
        message: string;
        hint?: string;
        exitCode: ExitCode;
        problems?: readonly ConfigProblem[];
    }) {
        super(args.message);
        this.name = "ReleaseError";
        this.code = args.code;
        this.hint = args.hint;
        this.exitCode = args.exitCode;
        this.problems = args.problems ?? [];
    }
}

/**
 * Builds the single error thrown for invalid input, after every problem has been collected
 * (pulumi.InputPropertiesError style: one line per property path).
 */
export function configError(context: string, problems: readonly ConfigProblem[], hint?: string): ReleaseError {
    const lines = problems.map((p) => `  - ${p.propertyPath}: ${p.reason}`);
    return new ReleaseError({
        code: "CONFIG_INVALID",
        message: `${context}:\n${lines.join("\n")}`,
        hint: hint ?? "fix the values above (pulumi config set --path ...) and run the command again; nothing was applied",
        exitCode: ExitCode.Usage,
        problems,
    });
}

/** Reads a message out of anything thrown. */
export function errorMessage(err: unknown): string {
    if (err instanceof Error) {
        return err.message;
    }
    return String(err);
}

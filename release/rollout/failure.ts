/** How a run ends when it fails: any thrown value as a ReleaseError, its hint, and each outcome's exit code. */
import type { RolloutAction } from "../core/machine";
import { DriverError } from "../driver/driver";
import { ExitCode, ReleaseError, errorMessage } from "../core/errors";
import type { Outcome } from "../core/events";

/**
 * The hint a failed run ends with. A rollback or abort refused because a release holds the stack: waiting is
 * not the only way, the running release rolls back at once on SIGINT (bin/mesh-release.ts).
 */
export function failHint(action: RolloutAction, release: ReleaseError): string | undefined {
    if (release.code === "CONCURRENT_UPDATE" && (action === "rollback" || action === "abort")) {
        return (
            `a release is running on this stack (named above). To roll it back now, send it SIGINT: Ctrl-C in its terminal, or kill -INT <its pid>; ` +
            "it cancels its running update and rolls back at once (recorded Aborted). " +
            `Otherwise wait for it to finish and run mesh-release ${action} again`
        );
    }
    return release.hint;
}

export function outcomeExitCode(outcome: Outcome): ExitCode {
    switch (outcome) {
        case "promoted":
            return ExitCode.Ok;
        case "rolled-back":
        case "aborted":
            return ExitCode.RolledBack;
        case "failed":
            return ExitCode.Infrastructure;
        default: {
            const never: never = outcome;
            return never;
        }
    }
}

/** Any thrown value as a ReleaseError with an exit code. */
export function toReleaseError(err: unknown): ReleaseError {
    if (err instanceof ReleaseError) {
        return err;
    }
    if (err instanceof DriverError) {
        switch (err.kind) {
            case "concurrent":
                return new ReleaseError({ code: "CONCURRENT_UPDATE", message: err.message, hint: "one release per stack at a time; wait for the other one", exitCode: ExitCode.Infrastructure });
            case "not-found":
                return new ReleaseError({ code: "STACK_NOT_FOUND", message: err.message, hint: "check --stack and --cwd", exitCode: ExitCode.Usage });
            case "unavailable":
                return new ReleaseError({ code: "PULUMI_UNAVAILABLE", message: err.message, hint: "check the Pulumi CLI (--pulumi-root), PULUMI_BACKEND_URL and what the stack's secrets provider needs: PULUMI_CONFIG_PASSPHRASE, or the KMS's credentials (hashivault://: VAULT_ADDR and VAULT_TOKEN)", exitCode: ExitCode.Infrastructure });
            case "cancelled":
                return new ReleaseError({ code: "CANCELLED", message: err.message, exitCode: ExitCode.Infrastructure });
            case "failed":
                return new ReleaseError({ code: "UPDATE_FAILED", message: err.message, exitCode: ExitCode.Infrastructure });
            default: {
                const never: never = err.kind;
                return never;
            }
        }
    }
    return new ReleaseError({ code: "UPDATE_FAILED", message: `unexpected error: ${errorMessage(err)}`, exitCode: ExitCode.Infrastructure });
}

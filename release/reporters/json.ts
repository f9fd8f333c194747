/**
 * `--json`: one event per line on stdout, exactly the {@link CliEvent} objects (release/core/events.ts and
 * ./types.ts), for pipelines (`mesh-release canary ... --json | jq`). Every line is redacted.
 */
import { Redactor } from "../../contract/redact";
import type { CliEvent, Write } from "./types";

/** One event as one line of JSON (newline-terminated, no newline inside). Pure. */
export function jsonLine(e: CliEvent, redactor: Redactor = new Redactor()): string {
    // JSON.stringify escapes control characters, so a message with a newline stays on one line.
    return `${redactor.redact(JSON.stringify(e))}\n`;
}

export class JsonReporter {
    constructor(
        private readonly write: Write,
        private readonly redactor: Redactor = new Redactor(),
    ) {}

    /** The event sink. Never throws. */
    readonly handle = (e: CliEvent): void => {
        try {
            this.write(jsonLine(e, this.redactor));
        } catch {
            // a reporter must not stop a rollout
        }
    };
}

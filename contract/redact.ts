/**
 * The one redaction mechanism of both programs and the simulator: a {@link Redactor} learns the secret
 * values (a stack's Pulumi secrets, the Prometheus credentials, a webhook's token) and replaces every one of
 * them with `[secret]` wherever it appears, in every spelling a lower layer may have given it:
 *
 * - as is, URL-encoded (`encodeURIComponent`, `encodeURI`, form-encoded as in a query string),
 * - JSON-escaped (inside a JSON string, e.g. a `--json` line or a zod error's message), and JSON-escaped twice
 *   (a JSON text quoted inside another, e.g. a message that quotes a value with `JSON.stringify`, then
 *   serialized again);
 * - across the parts of a thrown error ({@link Redactor.describeError}): its message, the messages of its
 *   `cause` chain and of an AggregateError's errors are redacted as one text, so a secret that begins at the
 *   end of one part and ends in the next is masked on both sides.
 *
 * Text whose secrets are not known (the simulator's poll errors, which may echo a kubeconfig token) can ask
 * for credential-shaped text to be masked too (`credentialShapes`): an `Authorization`-style `Bearer x` /
 * `Basic x`, and `token=x`, `password: x`, `secret=x`.
 *
 * Redact whole texts before cutting them short: a secret cut in two by a truncation is no longer found.
 * Pure.
 */

/** What a secret is replaced with, everywhere. */
export const SECRET_MARK = "[secret]";

const CREDENTIAL_SHAPES: readonly [RegExp, string][] = [
    [/\b(bearer|basic)\s+(?!\[secret\])[^\s,;"']+/gi, `$1 ${SECRET_MARK}`],
    [/\b(authorization|token|password|secret)([\s:="']+)(?!bearer\b|basic\b|\[secret\])[^\s,;"']+/gi, `$1$2${SECRET_MARK}`],
];

/** The spellings of `value` a lower layer may have written instead of the value itself. */
function spellings(value: string): string[] {
    const json = JSON.stringify(value).slice(1, -1);
    const jsonTwice = JSON.stringify(JSON.stringify(value)).slice(3, -3);
    const form = new URLSearchParams({ v: value }).toString().slice(2);
    let uri = value;
    try {
        uri = encodeURI(value);
    } catch {
        // A lone surrogate cannot be URI-encoded; then no layer wrote it that way either.
    }
    let component = value;
    try {
        component = encodeURIComponent(value);
    } catch {
        // as above
    }
    return [value, json, jsonTwice, form, uri, component];
}

export interface RedactorOptions {
    /** Also mask credential-shaped text (`Bearer x`, `token=x`, ...), for text whose secrets are not known. Default false. */
    credentialShapes?: boolean;
}

/**
 * Replaces every known secret with `[secret]`. Secrets shorter than 4 characters are still replaced; an
 * empty one is ignored (it would match everywhere).
 */
export class Redactor {
    private readonly secrets = new Set<string>();
    private ordered: string[] | undefined;
    private readonly credentialShapes: boolean;

    constructor(options: RedactorOptions = {}) {
        this.credentialShapes = options.credentialShapes ?? false;
    }

    /** Learns secret values (undefined and "" are skipped). Returns this redactor. */
    add(...values: readonly (string | undefined)[]): this {
        for (const v of values) {
            if (v !== undefined && v.length > 0) {
                for (const s of spellings(v)) {
                    this.secrets.add(s);
                }
                this.ordered = undefined;
            }
        }
        return this;
    }

    /** Every spelling, longest first, so a secret that contains another is replaced whole. */
    private spellings(): string[] {
        this.ordered ??= [...this.secrets].sort((a, b) => b.length - a.length);
        return this.ordered;
    }

    redact(text: string): string {
        let out = text;
        for (const s of this.spellings()) {
            out = out.split(s).join(SECRET_MARK);
        }
        if (this.credentialShapes) {
            for (const [re, to] of CREDENTIAL_SHAPES) {
                out = out.replace(re, to);
            }
        }
        return out;
    }

    /** A copy of a JSON-like value with every string in it redacted (keys are left as they are). */
    redactValue<T>(value: T): T {
        return this.walk(value) as T;
    }

    private walk(value: unknown): unknown {
        if (typeof value === "string") {
            return this.redact(value);
        }
        if (Array.isArray(value)) {
            return value.map((v) => this.walk(v));
        }
        if (value !== null && typeof value === "object" && !(value instanceof Date)) {
            return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.walk(v)]));
        }
        return value;
    }

    /**
     * The text of anything thrown, redacted: the message, then `; cause: <message>` for each error of its
     * `cause` chain (and `; error: <message>` for each of an AggregateError's errors), at most 8 deep. With
     * `name`, the top error's name leads (`TypeError: ...`).
     */
    describeError(err: unknown, options: { name?: boolean } = {}): string {
        const parts: string[] = [];
        const seen = new Set<unknown>();
        const visit = (e: unknown, label: string, depth: number): void => {
            if (depth > 8 || seen.has(e)) {
                return;
            }
            seen.add(e);
            const text = e instanceof Error ? e.message : String(e);
            parts.push(depth === 0 ? (options.name === true && e instanceof Error ? `${e.name}: ${text}` : text) : `; ${label}: ${text}`);
            if (e instanceof Error) {
                if (e instanceof AggregateError) {
                    for (const inner of e.errors as unknown[]) {
                        visit(inner, "error", depth + 1);
                    }
                }
                if (e.cause !== undefined) {
                    visit(e.cause, "cause", depth + 1);
                }
            }
        };
        visit(err, "", 0);
        return this.redactParts(parts);
    }

    /**
     * Redacts pieces of text that are shown joined: each piece on its own, and a secret that runs from the end
     * of one piece into the next (the pieces' separators left out) is masked in both. Returns the joined text.
     */
    private redactParts(parts: readonly string[]): string {
        // Where each part's own text starts in the concatenation without separators.
        const bare = parts.map((p, i) => (i === 0 ? p : p.replace(/^; (cause|error): /, "")));
        const heads = parts.map((p, i) => p.length - (bare[i] ?? "").length);
        const joined = bare.join("");
        const cut = new Set<number>();
        let offset = 0;
        const starts = bare.map((b) => {
            const s = offset;
            offset += b.length;
            return s;
        });
        // Characters of a secret that spans a boundary between parts: masked in every part it touches.
        for (const s of this.spellings()) {
            for (let at = joined.indexOf(s); at !== -1; at = joined.indexOf(s, at + 1)) {
                const end = at + s.length;
                const spans = starts.filter((st, i) => st < end && st + (bare[i] ?? "").length > at).length;
                if (spans > 1) {
                    for (let c = at; c < end; c++) cut.add(c);
                }
            }
        }
        return parts
            .map((p, i) => {
                const b = bare[i] ?? "";
                const start = starts[i] ?? 0;
                let masked = "";
                let inCut = false;
                for (let c = 0; c < b.length; c++) {
                    if (cut.has(start + c)) {
                        if (!inCut) masked += SECRET_MARK;
                        inCut = true;
                    } else {
                        masked += b[c];
                        inCut = false;
                    }
                }
                return p.slice(0, heads[i]) + this.redact(masked);
            })
            .join("");
    }
}

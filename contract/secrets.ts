/**
 * The config paths whose values are secret, one list for both programs: the Pulumi program's config
 * messages render them as `[secret]`, `mesh-release` never echoes them, and both refuse them as plain text.
 * Pure.
 */
import { escapeRegExp, valueAt } from "./paths";

/** The credentials of the release policy: each must be a Pulumi secret (`pulumi config set --secret`). */
export const CREDENTIAL_PATHS = ["release.prometheus.bearerToken", "release.prometheus.basicAuth.password"] as const;

/** Config paths whose values are secret wherever they appear. */
export const SECRET_PATHS: readonly RegExp[] = [
    ...CREDENTIAL_PATHS.map((p) => new RegExp(`^${escapeRegExp(p)}$`)),
    // TLS material is never a config key (gateways take a credentialName), but refuse to echo one anyway.
    /(^|\.)(privateKey|key|cert|certificate|password|token|secret)$/i,
];

/** `path` is under a top-level key Pulumi holds as a secret. */
export const isSecretKeyPath = (path: string, secretKeys: ReadonlySet<string>): boolean => secretKeys.has(path.split(/[.[]/, 1)[0] ?? "");

/** The value at `path` is secret: a secret path, or under a top-level key Pulumi holds as a secret. */
export const isSecretPath = (path: string, secretKeys: ReadonlySet<string> = new Set()): boolean =>
    isSecretKeyPath(path, secretKeys) || SECRET_PATHS.some((re) => re.test(path));

/** One credential in the release policy: where, its value, and how a message names it (never the value). */
export interface Credential {
    path: string;
    value: string;
    /** What a message shows in its place: `[secret]`, or a URL with its token replaced (`https://hooks.slack.com/[secret]`). */
    shown: string;
    /** What it is, for the rule: `a credential`, `a webhook URL with a token in its path`. */
    what: string;
}

/**
 * The credentials set in a (parsed) `release` policy, with their config paths: the Prometheus credentials and
 * every webhook URL that carries a token ({@link urlTokenPlace}), which the webhook code treats as secret.
 */
export function credentialsOf(release: unknown): Credential[] {
    const fixed = CREDENTIAL_PATHS.flatMap((path) => {
        const value = valueAt({ release }, path.split("."));
        return typeof value === "string" ? [{ path, value, shown: "[secret]", what: "a credential" }] : [];
    });
    const hooks = valueAt({ release }, ["release", "webhooks"]);
    const urls = (Array.isArray(hooks) ? hooks : []).flatMap((hook: unknown, i) => {
        const value = valueAt(hook, ["url"]);
        const place = typeof value === "string" ? urlTokenPlace(value) : undefined;
        return typeof value !== "string" || place === undefined
            ? []
            : [{ path: `release.webhooks[${i}].url`, value, shown: redactUrlToken(value), what: `a webhook URL with a token in its ${place}` }];
    });
    return [...fixed, ...urls];
}

// ---------------------------------------------------------------------------------------------
// Tokens in URLs.

/** Query parameters that carry a credential (`?token=`, `?key=`, `?sig=`, `access_token`, SAS and S3 signatures). */
const TOKEN_PARAM = /^(?:token|access[_-]?token|auth[_-]?token|api[_-]?key|apikey|key|sig|signature|secret|password|passwd|auth|code|x-amz-signature|x-goog-signature)$|token|secret|signature|passw/i;

/** Slack-style incoming webhook paths: `/services/T000/B000/XXXX`. */
const SLACK_PATH = /\/services\/T[A-Z0-9]+\/B[A-Z0-9]+\/[^/]+/i;

/**
 * A path segment that looks random rather than like words: at least 20 characters of a token's alphabet with
 * letters and digits mixed, or at least 32 of them; words joined by '-', '_' or '.' (`rollout-hooks-v2`) are not.
 */
export function isTokenLike(segment: string): boolean {
    if (!/^[A-Za-z0-9_\-.~+=]+$/.test(segment) || /^[A-Za-z]{1,12}(?:[-_.][A-Za-z0-9]{1,12})*$/.test(segment)) {
        return false;
    }
    const mixed = /[A-Za-z]/.test(segment) && /\d/.test(segment);
    return (segment.length >= 20 && mixed) || segment.length >= 32;
}

/** `text` as a URL (a missing scheme assumed https, so that `hooks.slack.com/services/...` is judged too). */
function asUrl(text: string): URL | undefined {
    for (const candidate of [text, `https://${text}`]) {
        try {
            return new URL(candidate);
        } catch {
            // try the next
        }
    }
    return undefined;
}

/** Where a URL carries a token: `path` (Slack-style, or a random-looking segment), `query` (`?token=`...), or undefined. */
export function urlTokenPlace(text: string): "path" | "query" | undefined {
    const url = asUrl(text);
    if (url === undefined) {
        return undefined;
    }
    if ([...url.searchParams.keys()].some((k) => TOKEN_PARAM.test(k))) {
        return "query";
    }
    if (SLACK_PATH.test(url.pathname) || url.pathname.split("/").some((seg) => isTokenLike(decodeURIComponentSafe(seg)))) {
        return "path";
    }
    return undefined;
}

const decodeURIComponentSafe = (text: string): string => {
    try {
        return decodeURIComponent(text);
    } catch {
        return text;
    }
};

/** A URL with a token shown as its origin and `[secret]` (`https://hooks.slack.com/[secret]`); other text as it is. */
export function redactUrlToken(text: string): string {
    const url = urlTokenPlace(text) === undefined ? undefined : asUrl(text);
    return url === undefined ? text : `${url.protocol}//${url.host}/[secret]`;
}

// ---------------------------------------------------------------------------------------------
// Names of Kubernetes Secrets (a gateway's credentialName): never the key material itself.

/**
 * Config paths that name a Kubernetes Secret or a certificate file (`ingress.tls.credentialName`, any other
 * `credentialName`, each of `credentialNames`, and the `routing` objects' `serverCertificate`, `privateKey`,
 * `caCertificates`, `clientCertificate`, `caCrl`): where pasted key material is refused and never echoed.
 */
export const isCredentialNamePath = (path: string): boolean =>
    /(^|\.)(credentialName|credentialNames\[\d+\]|credentialNames|serverCertificate|privateKey|caCertificates|clientCertificate|caCrl)$/.test(path);

/** A Kubernetes Secret name: a DNS-1123 subdomain (lower-case letters, digits, '-', '.'; alphanumeric at both ends). */
export const SECRET_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The rule of a Secret name, as a message states it. */
export const SECRET_NAME_RULE =
    "must be the name of a Kubernetes Secret (a DNS-1123 subdomain: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters), not the key or certificate itself";

/**
 * Text that may be key material rather than a name: PEM (`-----BEGIN`), several lines, control characters,
 * longer than a Secret name may be, or a long run of base64. Such text is never echoed.
 */
export function looksLikeKeyMaterial(value: unknown): value is string {
    return (
        typeof value === "string" &&
        // eslint-disable-next-line no-control-regex -- control characters (a newline) are a sign of pasted key material
        (/-----BEGIN|[\u0000-\u001f\u007f]/.test(value) || value.length > 253 || /[A-Za-z0-9+/]{40,}={0,2}/.test(value))
    );
}

/** Key material as a message may show it: its PEM header if it has one, and its length; never the rest. */
export function redactKeyMaterial(value: string): string {
    const header = /-----BEGIN [A-Z0-9 ]{1,40}-----/.exec(value)?.[0];
    return `[redacted: ${value.length} characters${header === undefined ? "" : ` starting ${JSON.stringify(header)}`}]`;
}

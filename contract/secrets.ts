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

/** The credentials set in a (parsed) `release` policy, with their config paths. */
export function credentialsOf(release: unknown): { path: string; value: string }[] {
    return CREDENTIAL_PATHS.flatMap((path) => {
        const value = valueAt({ release }, path.split("."));
        return typeof value === "string" ? [{ path, value }] : [];
    });
}

/**
 * The policy pack on the real engine: where the pack and its config files are, and the CLI that runs Node policy packs
 * (the langhost-policy dir of scripts/toolchain.sh: its `bin/pulumi` is the tool chain's CLI, beside the language host
 * front that serves RunPlugin for policy packs; docs/toolchain.md). Used by the e2e test and the bench.
 */
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { REPO_ROOT } from "./pulumiProject";

/** The policy pack (PulumiPolicy.yaml) and its per-environment config files. */
export const POLICY_PACK_DIR = path.join(REPO_ROOT, "policy");
export const policyConfigFile = (env: string): string => path.join(POLICY_PACK_DIR, "config", `${env}.json`);

/** The CLI root and environment for stacks that run the policy pack; a clear error when the front is not built. */
export function policyCli(): { cliRoot: string; envVars: Record<string, string> } {
    let dir: string;
    try {
        execFileSync("bash", [path.join(REPO_ROOT, "scripts", "toolchain.sh"), "--check", "langhost-policy"], { stdio: "pipe" });
        dir = execFileSync("bash", [path.join(REPO_ROOT, "scripts", "toolchain.sh"), "--print-langhost-policy-dir"], { encoding: "utf8" }).trim();
    } catch (err) {
        throw new Error(
            `langhost-policy is not built, so the pinned CLI cannot run a Node policy pack (${(err as Error).message.split("\n")[0]}). ` +
                "Build it with: bash scripts/toolchain.sh build pulumi langhost langhost-policy (docs/toolchain.md)",
        );
    }
    const toolchainBin = path.join(process.env["MESH_TOOLCHAIN_DIR"] ?? "", "bin");
    return { cliRoot: dir, envVars: { PATH: `${path.join(dir, "bin")}:${toolchainBin}:${process.env["PATH"] ?? ""}` } };
}

/**
 * The README's release commands work as typed (issue 10): `npx mesh-release` resolves in the project
 * directory after `npm ci` (the package's self-reference links its bin; the bin runs the TypeScript source,
 * no build step), and every `npx mesh-release ...` line of the README's bash blocks is a command the CLI
 * accepts, optional `[...]` parts included. What this does not prove: the commands against a live stack
 * (test/e2e/release/readme.test.ts runs the dev stack's commands on the real engine; the --env production lines are not run there).
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "../../release/cli";
import { argvOf, readmeReleaseCommands } from "../support/readme";

const REPO_ROOT = path.resolve(__dirname, "..", "..");

describe("README release commands as typed", function () {
    this.timeout(120_000);

    it("the README shows the release commands with npx (no build step, no global install)", () => {
        const commands = readmeReleaseCommands();
        expect(commands.length).to.be.greaterThan(10);
        const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
        expect(readme, "a bare mesh-release command line would not be found in the project directory").not.to.match(/^mesh-release /m);
    });

    it("argvOf gives every optional [...] part, or the ones asked for (the e2e run leaves out the canary's 60 s interval)", () => {
        const line = "npx mesh-release canary --stack dev [--steps 10,100] [--interval 60s] [--json]";
        expect(argvOf(line)).to.deep.equal(["canary", "--stack", "dev", "--steps", "10,100", "--interval", "60s", "--json"]);
        expect(argvOf(line, (p) => !p.startsWith("--interval"))).to.deep.equal(["canary", "--stack", "dev", "--steps", "10,100", "--json"]);
    });

    it("every npx mesh-release line parses as the CLI's command (exit 0 or a request, never a usage error)", () => {
        for (const line of readmeReleaseCommands()) {
            let stderr = "";
            const r = parseArgs(argvOf(line), { cwd: REPO_ROOT, env: {}, stdout: () => undefined, stderr: (s) => (stderr += s) });
            expect(r.kind, `${line}\n${stderr}`).to.equal("request");
        }
    });

    it("npx mesh-release runs in the project directory after npm ci: a README command as typed reaches the stack (no Pulumi CLI: exit 3 naming it, not 'command not found')", () => {
        const line = readmeReleaseCommands().find((l) => / status +--stack dev /.test(l));
        expect(line, "the README shows a status command for the dev stack").to.not.equal(undefined);
        const bin = path.join(REPO_ROOT, "node_modules", ".bin", "mesh-release");
        expect(fs.existsSync(bin), `${bin} is missing: run npm ci (package.json's self-reference "mesh-traffic": "file:." links the bin)`).to.equal(true);
        const words = (line ?? "").split(/\s+/);
        const r = spawnSync(words[0] ?? "npx", ["--no-install", ...words.slice(1)], {
            cwd: REPO_ROOT,
            encoding: "utf8",
            // No Pulumi CLI on PATH and no toolchain: the command itself must run and say what is missing.
            env: { PATH: path.dirname(process.execPath) + ":/usr/bin:/bin", HOME: process.env["HOME"] ?? "/tmp", NO_COLOR: "1" },
        });
        expect(r.status, r.stdout + r.stderr).to.equal(3);
        expect(r.stdout + r.stderr).to.include("cannot run the Pulumi CLI (pulumi on PATH)");
    });
});

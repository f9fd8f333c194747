/**
 * Config edits written into `Pulumi.<stack>.yaml` directly (release/driver/stackFile.ts) give the file the real
 * CLI writes with `pulumi config rm --path` + `pulumi config set-all --path --plaintext` (the driver's writes
 * before, still its fallback): the same config, value types included, from the same starting file; the user's
 * comments, `encryptionsalt` and a secret kept, and the CLI still reads and decrypts the result. Where the
 * direct path does not apply (the CLI writes): test/unit/release/stackFile.test.ts.
 */
import { LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation";
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import type { ConfigEdit } from "../../../release/driver/driver";
import { pulumiConfigPath } from "../../../release/driver/pulumiStack";
import { openStackFile, writeStackFile } from "../../../release/driver/stackFile";
import { createProjectDir, programEnv } from "../../support/pulumiProject";

const EDITS: ConfigEdit[] = [
    { path: ["services", "sample-app", "canary", "weight"], value: 25 },
    { path: ["services", "sample-app", "canary", "version"], value: "v2" },
    { path: ["services", "sample-app", "canary", "abRules", 0, "header"], value: "x-beta" },
    { path: ["services", "sample-app", "canary", "abRules", 0, "exact"], value: "true" },
    { path: ["services", "sample-app", "canary", "abRules", 0, "id"], value: "010" },
    { path: ["services", "sample-app", "canary", "abRules", 0, "count"], value: "42" },
    { path: ["services", "sample-app", "canary", "abRules", 0, "ratio"], value: "1.5" },
    { path: ["services", "sample-app", "new.dotted key", "on"], value: false },
    { path: ["rollouts", "sample-app"], value: JSON.stringify({ phase: "progressing", stepIndex: 1, reason: "it's \"quoted\"\nand: a colon" }) },
    { path: ["services", "sample-app", "stable", "version"], remove: true },
    { path: ["services", "no-such-service", "canary"], remove: true },
    { path: ["services", "sample-app", "hosts", 0], remove: true },
];

describe("config edits into Pulumi.<stack>.yaml directly = what the real CLI writes (release/driver/stackFile.ts)", function () {
    this.timeout(300_000);
    let workDir = "";
    let stack: Stack;
    let file = "";
    let base = "";

    before(async () => {
        workDir = createProjectDir();
        const stackName = `sf-${randomBytes(4).toString("hex")}`;
        file = path.join(workDir, `Pulumi.${stackName}.yaml`);
        const dev = fs.readFileSync(path.join(__dirname, "../../../Pulumi.dev.yaml"), "utf8");
        const pulumiCommand = await PulumiCommand.get({ root: process.env["MESH_TOOLCHAIN_DIR"] ?? "" });
        stack = await LocalWorkspace.createOrSelectStack({ stackName, workDir }, { workDir, pulumiCommand, envVars: programEnv() });
        // the stack's salt (written by `stack init`), a secret of another namespace, the dev config with its comments
        await stack.setConfig("other:token", { value: "s3cret-t0ken", secret: true });
        const made = parse(fs.readFileSync(file, "utf8")) as { encryptionsalt: string; config: Record<string, { secure: string }> };
        base = `# the team's note on this stack\n${dev}`
            .replace(/^encryptionsalt: .*$/m, `encryptionsalt: ${made.encryptionsalt}`)
            .replace(/^config:\n/m, `config:\n  other:token:\n    secure: ${made.config["other:token"]?.secure ?? ""}\n`);
        expect(parse(base), "the starting file parses").to.be.an("object");
    });

    after(async () => {
        await stack?.workspace.removeStack(stack.name).catch(() => undefined);
        fs.rmSync(workDir, { recursive: true, force: true });
    });

    it("gives the same config as `config rm --path` + `config set-all --path --plaintext`, keeps comments, salt and the secret", async () => {
        fs.writeFileSync(file, base);
        for (const e of EDITS.filter((x) => "remove" in x)) {
            await stack.removeConfig(pulumiConfigPath(e.path), true).catch((err: unknown) => {
                if (!/not found|does not exist|no such|configuration key/i.test(String(err))) throw err;
            });
        }
        const sets = Object.fromEntries(EDITS.flatMap((e) => ("remove" in e ? [] : [[pulumiConfigPath(e.path), { value: String(e.value), secret: false }]])));
        await stack.setAllConfig(sets, true);
        const byCli = fs.readFileSync(file, "utf8");

        fs.writeFileSync(file, base);
        expect(openStackFile(workDir, stack.name)?.file, "the direct path applies to this project").to.equal(file);
        writeStackFile(file, EDITS);
        const direct = fs.readFileSync(file, "utf8");

        expect(parse(direct), `direct:\n${direct}\nCLI:\n${byCli}`).to.deep.equal(parse(byCli));
        expect(direct).to.include("# the team's note on this stack");
        expect((parse(direct) as { encryptionsalt?: string }).encryptionsalt).to.be.a("string").and.equal((parse(base) as { encryptionsalt?: string }).encryptionsalt);
        // the CLI reads what was written, the secret still decrypts, the values have their types
        const all = await stack.getAllConfig();
        expect(all["other:token"]).to.deep.equal({ value: "s3cret-t0ken", secret: true });
        const services = JSON.parse(all["mesh-traffic:services"]?.value ?? "{}") as Record<string, { canary?: { weight?: unknown; abRules?: unknown[] } }>;
        expect(services["sample-app"]?.canary?.weight).to.equal(25);
        expect(services["sample-app"]?.canary?.abRules?.[0]).to.deep.equal({ header: "x-beta", exact: true, id: "010", count: 42, ratio: "1.5" });
    });
});

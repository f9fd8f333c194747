/**
 * Parsing a stack config loads no Pulumi SDK and no provider: a fresh Node process requires the Pulumi program's
 * config check (stacks/config.ts), the release CLI (release/cli/) and the release side's config path
 * (release/env/check.ts, release/core/policy.ts), parses every committed `Pulumi.<stack>.yaml` through both programs,
 * and lists what it loaded: no file of `@pulumi/kubernetes` or `@pulumi/pulumi`. A fresh process, because this
 * suite's own process has loaded everything already. (The Pulumi edge, stacks/readConfig.ts, and running the
 * program load them; nothing here does.)
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";

const ROOT = path.resolve(__dirname, "../../..");

const CHILD = `
const path = require("node:path");
const root = process.cwd();
const { checkStackConfig } = require(path.join(root, "stacks/config"));
require(path.join(root, "release/cli"));
const { stackConfigOfFile, stackValidator } = require(path.join(root, "release/env/check"));
const { resolvePolicy, serviceContext } = require(path.join(root, "release/core/policy"));
const stacks = JSON.parse(process.argv[1]);
const results = stacks.map((stack) => {
    const file = stackConfigOfFile(root, stack);
    const parsed = checkStackConfig(file.config);
    const problems = parsed.problems.map((p) => p.reason);
    const release = file.config.release;
    const policy = resolvePolicy(stack, release);
    const services = Object.keys(file.config.services ?? {});
    const contexts = services.map((svc) => serviceContext(file.config, svc, []));
    return { stack, problems, validator: stackValidator(file.config).length, steps: policy.steps, services: contexts.filter(Boolean).length };
});
const loaded = Object.keys(require.cache);
const count = (pkg) => loaded.filter((f) => f.includes(path.join("node_modules", pkg) + path.sep)).length;
process.stdout.write(JSON.stringify({ results, kubernetes: count("@pulumi/kubernetes"), pulumi: count("@pulumi/pulumi") }));
`;

describe("contract: parsing a stack config loads no Pulumi SDK and no Kubernetes provider", function () {
    this.timeout(120_000);

    it("a fresh process parses every committed Pulumi.<stack>.yaml through both programs without loading @pulumi/kubernetes or @pulumi/pulumi", () => {
        const stacks = fs
            .readdirSync(ROOT)
            .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
            .filter((s): s is string => s !== undefined)
            .sort();
        expect(stacks).to.include.members(["dev", "production", "staging"]);
        const child = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", CHILD, JSON.stringify(stacks)], {
            cwd: ROOT,
            encoding: "utf8",
        });
        expect(child.status, child.stderr).to.equal(0);
        const out = JSON.parse(child.stdout) as {
            results: { stack: string; problems: string[]; validator: number; steps: number[]; services: number }[];
            kubernetes: number;
            pulumi: number;
        };
        for (const r of out.results) {
            expect(r.problems, r.stack).to.deep.equal([]);
            expect(r.validator, r.stack).to.equal(0);
            expect(r.steps.length, r.stack).to.be.greaterThan(0);
        }
        expect(out.results.map((r) => r.stack)).to.deep.equal(stacks);
        expect(out.kubernetes, "files of @pulumi/kubernetes loaded").to.equal(0);
        expect(out.pulumi, "files of @pulumi/pulumi loaded").to.equal(0);
    });
});

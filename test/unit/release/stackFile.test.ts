/**
 * Config edits straight into `Pulumi.<stack>.yaml` (release/driver/stackFile.ts): Pulumi's `--path` typing, the
 * edits on a document (the rest of the file kept), and where the direct path does not apply so the CLI writes.
 * The same edits both ways on the real CLI: test/e2e/stack/stackFile.test.ts.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { applyToDocument, openStackFile, pulumiTyped, secretsProviderOf, stackFileSecretsProvider, writeStackFile } from "../../../release/driver/stackFile";

describe("config edits into the stack's file (release/driver/stackFile.ts)", () => {
    const table: Array<[string | number | boolean, string | number | boolean]> = [
        ["10", 10],
        ["-3", -3],
        ["0", 0],
        ["010", "010"],
        ["1.5", "1.5"],
        ["true", true],
        ["false", false],
        ["True", "True"],
        ["v2", "v2"],
        ["", ""],
        [7, 7],
        [false, false],
    ];
    for (const [input, stored] of table) {
        it(`${JSON.stringify(input)} is stored as ${JSON.stringify(stored)} (pulumi config set --path)`, () => {
            expect(pulumiTyped(input)).to.equal(stored);
        });
    }

    it("sets and removes by path, creating maps and lists as Pulumi does, and keeps comments, secrets and other keys", () => {
        const doc = parseDocument(
            ["# top note", "encryptionsalt: v1:salt", "config:", "  aws:region: eu-west-1", "  mesh-traffic:token:", "    secure: v1:abc", "  mesh-traffic:services:", "    app: # the app", "      hosts: [a, b, c]", "      canary:", "        weight: 5", ""].join("\n"),
        );
        applyToDocument(doc, [
            { path: ["services", "app", "canary", "weight"], value: 30 },
            { path: ["services", "app", "canary", "abRules", 0, "header"], value: "x-beta" },
            { path: ["rollouts", "app"], value: '{"phase":"progressing"}' },
            { path: ["services", "app", "hosts", 1], remove: true },
            { path: ["services", "gone", "canary"], remove: true },
            { path: ["services", "app", "canary", "weight", "deeper"], remove: true },
        ]);
        const text = doc.toString();
        expect(doc.toJS()).to.deep.equal({
            encryptionsalt: "v1:salt",
            config: {
                "aws:region": "eu-west-1",
                "mesh-traffic:token": { secure: "v1:abc" },
                "mesh-traffic:services": { app: { hosts: ["a", "c"], canary: { weight: 30, abRules: [{ header: "x-beta" }] } } },
                "mesh-traffic:rollouts": { app: '{"phase":"progressing"}' },
            },
        });
        expect(text).to.include("# top note").and.include("# the app");
    });

    it("a file without a config map gets one", () => {
        const doc = parseDocument("encryptionsalt: v1:salt\n");
        applyToDocument(doc, [{ path: ["services", "app", "canary", "weight"], value: 10 }]);
        expect(doc.toJS()).to.deep.equal({ encryptionsalt: "v1:salt", config: { "mesh-traffic:services": { app: { canary: { weight: 10 } } } } });
    });

    describe("where the file is, and when the CLI writes instead", () => {
        let dir: string;
        beforeEach(() => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "mesh-stackfile-"));
            fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: mesh-traffic\nruntime: nodejs\n");
            fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), "config:\n  mesh-traffic:namespace: dev\n");
        });
        afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

        it("Pulumi.<stack>.yaml of the project directory, for a short or fully qualified stack name", () => {
            expect(openStackFile(dir, "dev")?.file).to.equal(path.join(dir, "Pulumi.dev.yaml"));
            expect(openStackFile(dir, "organization/mesh-traffic/dev")?.file).to.equal(path.join(dir, "Pulumi.dev.yaml"));
        });
        const fallbacks: Array<[string, () => void, string]> = [
            ["no file for the stack yet", () => undefined, "other"],
            ["the project sets stackConfigDir", () => fs.appendFileSync(path.join(dir, "Pulumi.yaml"), "stackConfigDir: config\n"), "dev"],
            ["a key of the project written without its namespace", () => fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), "config:\n  namespace: dev\n"), "dev"],
            ["a file that does not parse", () => fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), "config: [\n"), "dev"],
            ["config that is not a map", () => fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), "config: 3\n"), "dev"],
            ["no project file", () => fs.rmSync(path.join(dir, "Pulumi.yaml")), "dev"],
        ];
        for (const [what, arrange, stack] of fallbacks) {
            it(`${what}: the CLI writes`, () => {
                arrange();
                expect(openStackFile(dir, stack)).to.equal(undefined);
            });
        }

        it("writes atomically: the new file replaces the old one whole, with its mode, and no temp file stays", () => {
            const file = path.join(dir, "Pulumi.dev.yaml");
            fs.chmodSync(file, 0o640);
            writeStackFile(file, [{ path: ["services", "app", "canary", "weight"], value: 50 }]);
            expect(parseDocument(fs.readFileSync(file, "utf8")).toJS()).to.deep.equal({ config: { "mesh-traffic:namespace": "dev", "mesh-traffic:services": { app: { canary: { weight: 50 } } } } });
            expect(fs.statSync(file).mode & 0o777).to.equal(0o640);
            expect(fs.readdirSync(dir).sort()).to.deep.equal(["Pulumi.dev.yaml", "Pulumi.yaml"]);
        });
    });

    it("the secrets provider a new stack is created with: the file's `secretsprovider`, else none (the backend's default)", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mesh-stackfile-sp-"));
        try {
            fs.writeFileSync(path.join(dir, "Pulumi.prod.checkout.yaml"), "secretsprovider: hashivault://mesh-prod\nconfig:\n  mesh-traffic:layout: service\n");
            fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), "encryptionsalt: v1:abc\nconfig: {}\n");
            fs.writeFileSync(path.join(dir, "Pulumi.bad.yaml"), "secretsprovider: [\n");
            expect(stackFileSecretsProvider(dir, "prod.checkout")).to.equal("hashivault://mesh-prod");
            expect(stackFileSecretsProvider(dir, "org/mesh-traffic/prod.checkout"), "a fully qualified name: the file of its last segment").to.equal("hashivault://mesh-prod");
            expect(stackFileSecretsProvider(dir, "dev")).to.equal(undefined);
            expect(stackFileSecretsProvider(dir, "missing")).to.equal(undefined);
            expect(stackFileSecretsProvider(dir, "bad"), "a file the CLI will refuse: no provider from it").to.equal(undefined);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
        expect(secretsProviderOf({ secretsprovider: " passphrase " })).to.equal("passphrase");
        expect(secretsProviderOf({ secretsprovider: "" })).to.equal(undefined);
        expect(secretsProviderOf({ secretsprovider: 3 })).to.equal(undefined);
        expect(secretsProviderOf(Object.create({ secretsprovider: "awskms://inherited" }))).to.equal(undefined);
        expect(secretsProviderOf(null)).to.equal(undefined);
    });
});

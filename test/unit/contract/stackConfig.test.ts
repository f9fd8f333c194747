/**
 * One typing rule for a stack's config text (contract/stackConfig.ts), fed the same values through every route that
 * reads it: the program's runtime map (configFromPulumiMap), mesh-release's driver (`pulumi config --json`,
 * configFromCliJson) and the stack file as mesh-release's checks read it (contract/stackConfig.ts configFromStackFile of a
 * parsed `Pulumi.<stack>.yaml`). Each row must give the same value on every route, and every secret must reach the
 * driver's redaction, whatever its text reads as (a secret "123456" is the number 123456 to the program).
 *
 * And mesh-release's own stack-file readers (release/target.ts stackFileOf, the importer's parseStackFile) read the
 * keys they use through it, however the YAML spells them. Where the files are (Pulumi.yaml's `stackConfigDir`):
 * test/unit/release/target.test.ts.
 */
import { expect } from "chai";
import { parse, stringify } from "yaml";
import { parseStackFile } from "../../../importer/stackConfig";
import { stackFileOf } from "../../../release/env/target";
import { configFromCliJson, configFromPulumiMap, configFromStackFile, configValue } from "../../../contract/stackConfig";

interface Row {
    key: string;
    /** The text Pulumi stores (`pulumi config set key <text>`, or the JSON a `--path` set writes). */
    text: string;
    secret?: boolean;
    /** What every route reads. */
    value: unknown;
    /** As the stack file holds it when not secret: the text, or the mapping a `--path` set writes. */
    inFile?: unknown;
}

const ROWS: Row[] = [
    { key: "layout", text: "single", value: "single" },
    { key: "namespace", text: "123", value: "123" },
    { key: "platformStack", text: "{prod}", value: "{prod}" },
    { key: "skipAwait", text: "true", value: true },
    { key: "createNamespace", text: "false", value: false },
    { key: "routingApi", text: "istio", value: "istio" },
    { key: "weightNote", text: "25", value: 25 },
    { key: "note", text: "[x", value: "[x" },
    { key: "services", text: '{"app":{"port":8080}}', value: { app: { port: 8080 } }, inFile: { app: { port: 8080 } } },
    { key: "token", text: "123456", secret: true, value: 123456 },
    { key: "password", text: "hunter2", secret: true, value: "hunter2" },
    { key: "creds", text: '{"user":"u","pass":"p4ss"}', secret: true, value: { user: "u", pass: "p4ss" } },
];

describe("contract/stackConfig.ts: one typing rule, every route", () => {
    const full = (k: string): string => `mesh-traffic:${k}`;

    it("configValue: JSON unless layout, platformStack or namespace", () => {
        for (const r of ROWS) expect(configValue(r.key, r.text), r.key).to.deep.equal(r.value);
    });

    it("the program's runtime map and the driver's `pulumi config --json` read every row alike", () => {
        const runtime = configFromPulumiMap(Object.fromEntries(ROWS.map((r) => [full(r.key), r.text]))).raw;
        const cli = configFromCliJson(
            Object.fromEntries(ROWS.map((r) => [full(r.key), { value: r.text, secret: r.secret === true, ...(typeof r.value === "object" ? { objectValue: r.value } : {}) }])),
        ).config;
        const expected = Object.fromEntries(ROWS.map((r) => [r.key, r.value]));
        expect(runtime).to.deep.equal(expected);
        expect(cli).to.deep.equal(expected);
    });

    it("the stack file, as mesh-release's checks read it, agrees for every value that is not secret", () => {
        const plain = ROWS.filter((r) => r.secret !== true);
        const file = parse(
            `config:\n${plain.map((r) => `  ${full(r.key)}: ${JSON.stringify(r.inFile ?? r.text)}`).join("\n")}\n`,
        ) as unknown;
        expect(configFromStackFile(file)).to.deep.equal(Object.fromEntries(plain.map((r) => [r.key, r.value])));
    });

    it("mesh-release's stack-file readers (release/target.ts, the importer's parseStackFile) read the keys they use as the program does, however the YAML spells them", () => {
        // As Pulumi writes them (quoted text, a mapping for --path) and as a person may (unquoted scalars, JSON text).
        const spellings: Record<string, unknown>[] = [
            { layout: "service", namespace: "123", platformStack: "prod", services: { app: { port: 8080 } } },
            { layout: "service", namespace: 123, platformStack: "prod", services: '{"app":{"port":8080}}' },
        ];
        for (const values of spellings) {
            const yamlText = stringify({ config: Object.fromEntries(Object.entries(values).map(([k, v]) => [full(k), v])) });
            const runtime = configFromPulumiMap(Object.fromEntries(Object.entries(values).map(([k, v]) => [full(k), typeof v === "string" ? v : JSON.stringify(v)]))).raw;
            expect(runtime, yamlText).to.deep.equal({ layout: "service", namespace: "123", platformStack: "prod", services: { app: { port: 8080 } } });
            expect(configFromStackFile(parse(yamlText)), yamlText).to.deep.equal(runtime);
            expect(stackFileOf("prod.app", parse(yamlText)), yamlText).to.deep.equal({ name: "prod.app", layout: "service", services: ["app"], platformStack: "prod" });
            const imported = parseStackFile(yamlText, "Pulumi.prod.app.yaml");
            expect("facts" in imported ? imported.facts : imported, yamlText).to.deep.equal({ layout: "service", namespace: "123", platformStack: "prod" });
        }
    });

    it("every secret reaches the driver's redaction: its stored text and every string in it, also when it reads as a number (123456) or an object", () => {
        const { secrets } = configFromCliJson(Object.fromEntries(ROWS.map((r) => [full(r.key), { value: r.text, secret: r.secret === true }])));
        expect(secrets).to.include.members(["123456", "hunter2", '{"user":"u","pass":"p4ss"}', "u", "p4ss"]);
        for (const r of ROWS.filter((x) => x.secret !== true)) expect(secrets, r.key).to.not.include(r.text);
        // a secret Pulumi hands over only as objectValue (no text): its strings still count
        expect(configFromCliJson({ [full("creds")]: { secret: true, objectValue: { pass: "s3cret" } } }).secrets).to.deep.equal(["s3cret"]);
    });
});

/**
 * The helpers both programs share, one home each (contract/, components/validation.ts): the edge cases the old
 * copies' callers relied on, and that the two programs now report one value the same way.
 */
import { expect } from "chai";
import { durationMs, GO_DURATION, parseGoDuration, show } from "../../../components/validation";
import { escapeRegExp, formatPath, isUnder, mentionOf, setFix, valueAt } from "../../../contract/paths";
import { serviceOfStackName, serviceStackName } from "../../../contract/project";
import { configFromCliJson, configFromPulumiMap, jsonOrText } from "../../../contract/stackConfig";
import { uniqueProblems } from "../../../contract/problems";
import { recordedRolloutStateSchema, releaseSchema } from "../../../contract/release";
import { releaseRules, stepsNotIncreasing } from "../../../contract/releaseRules";
import { credentialsOf, isSecretPath } from "../../../contract/secrets";
import { ReleaseError, type ConfigProblem } from "../../../release/core/errors";
import { requestProblems, resolvePolicy, serviceContext } from "../../../release/core/policy";
import { checkStackConfig } from "../../../stacks/config";
import { baseStackConfig } from "../../support/stackFixtures";

/** The reasons mesh-release gives for a `release` config (resolvePolicy throws them). */
function releaseReasons(release: unknown): string[] {
    try {
        resolvePolicy("test", release);
    } catch (err) {
        if (err instanceof ReleaseError) return err.problems.map((p) => p.reason);
        throw err;
    }
    return [];
}

/** The reasons `pulumi up` gives for the same `release` config. */
const programReasons = (release: unknown): string[] => checkStackConfig({ ...baseStackConfig(), release }).problems.map((p) => p.reason);

describe("contract: the shared helpers", () => {
    describe("formatPath", () => {
        const table: Array<[readonly PropertyKey[], string | undefined, string]> = [
            [["services", "sample-app", "hosts", 0], undefined, "services.sample-app.hosts[0]"],
            [[0, "a"], undefined, "[0].a"],
            [[], undefined, ""],
            [["steps", 1], "release", "release.steps[1]"],
            [[], "release", "release"],
        ];
        for (const [path, base, expected] of table) {
            it(`${JSON.stringify(path)}${base === undefined ? "" : ` under ${base}`} -> ${expected}`, () => {
                expect(formatPath(path, base)).to.equal(expected);
            });
        }
    });

    describe("valueAt (own properties only: the program's config paths and mesh-release's --service)", () => {
        const config = { services: { app: { hosts: ["a", "b"], canary: { weight: 0 } } }, n: null };
        it("walks objects and arrays", () => {
            expect(valueAt(config, ["services", "app", "hosts", 1])).to.equal("b");
            expect(valueAt(config, ["services", "app", "canary", "weight"])).to.equal(0);
            expect(valueAt(config, [])).to.equal(config);
        });
        it("is undefined past a missing key, a null or a primitive", () => {
            expect(valueAt(config, ["services", "other", "hosts"])).to.equal(undefined);
            expect(valueAt(config, ["n", "x"])).to.equal(undefined);
            expect(valueAt(config, ["services", "app", "hosts", 0, "length"])).to.equal(undefined);
        });
        it("never finds a prototype's property (constructor, toString, __proto__)", () => {
            for (const key of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
                expect(valueAt({ services: {} }, ["services", key]), key).to.equal(undefined);
            }
            expect(valueAt({ services: { constructor: { port: 1 } } }, ["services", "constructor", "port"])).to.equal(1);
        });
    });

    describe("isUnder", () => {
        const table: Array<[string, string, boolean]> = [
            ["services.a", "services.a", true],
            ["services.a.canary", "services.a", true],
            ["services.a[0]", "services.a", true],
            ["services.ab", "services.a", false],
            ["services", "services.a", false],
        ];
        for (const [path, prefix, expected] of table) {
            it(`${path} under ${prefix}: ${String(expected)}`, () => expect(isUnder(path, prefix)).to.equal(expected));
        }
    });

    it("mentionOf: a path named as a word of its own, not inside a longer path; escapeRegExp", () => {
        const re = mentionOf(["canary.version", "services.a.canary.version"]);
        expect(re.test("canary.version is not set; set it")).to.equal(true);
        expect(re.test("the weight (services.a.canary.version) is 0")).to.equal(true);
        expect(re.test("canary.versions is not set")).to.equal(false);
        expect(re.test("x.canary.version is not set")).to.equal(false);
        expect("canary.weight is 120; it must be".replace(mentionOf(["canary.weight"], "g"), "$1services.a.canary.weight")).to.equal(
            "services.a.canary.weight is 120; it must be",
        );
        expect(new RegExp(`^${escapeRegExp("a.b[0]+(c)")}$`).test("a.b[0]+(c)")).to.equal(true);
    });

    it("serviceOfStackName: the inverse of serviceStackName", () => {
        expect(serviceOfStackName("production", serviceStackName("production", "checkout"))).to.equal("checkout");
        expect(serviceOfStackName("production", "production")).to.equal(undefined);
        expect(serviceOfStackName("production", "production.")).to.equal(undefined);
        expect(serviceOfStackName("prod", "production.checkout")).to.equal(undefined);
        expect(serviceOfStackName("production", "production.a.b")).to.equal("a.b");
    });

    it("setFix: the placeholder, a value, a secret", () => {
        expect(setFix("release.interval")).to.equal("pulumi config set --path 'release.interval' <valid value>");
        expect(setFix("services.a.canary.weight", { value: "0" })).to.equal("pulumi config set --path 'services.a.canary.weight' 0");
        expect(setFix("release.prometheus.bearerToken", { value: "<value>", secret: true })).to.equal(
            "pulumi config set --secret --path 'release.prometheus.bearerToken' <value>",
        );
    });

    describe("secret paths", () => {
        it("the credentials, secret-looking keys and keys Pulumi holds as secrets are secret; nothing else", () => {
            expect(isSecretPath("release.prometheus.bearerToken")).to.equal(true);
            expect(isSecretPath("release.prometheus.basicAuth.password")).to.equal(true);
            expect(isSecretPath("services.a.tls.privateKey")).to.equal(true);
            expect(isSecretPath("release.prometheus.basicAuth.username")).to.equal(false);
            expect(isSecretPath("release.prometheus.url")).to.equal(false);
            expect(isSecretPath("release.prometheus.bearerTokenFile")).to.equal(false);
            expect(isSecretPath("release.steps[0]", new Set(["release"]))).to.equal(true);
        });
        it("credentialsOf lists the credentials set, with their paths", () => {
            const secret = { shown: "[secret]", what: "a credential" };
            expect(credentialsOf({ prometheus: { bearerToken: "t" } })).to.deep.equal([{ path: "release.prometheus.bearerToken", value: "t", ...secret }]);
            expect(credentialsOf({ prometheus: { basicAuth: { username: "u", password: "p" } } })).to.deep.equal([
                { path: "release.prometheus.basicAuth.password", value: "p", ...secret },
            ]);
            expect(credentialsOf({ prometheus: {} })).to.deep.equal([]);
            expect(credentialsOf(undefined)).to.deep.equal([]);
        });
        it("neither program echoes a secret value the schema rejects", () => {
            const release = { prometheus: { bearerToken: 12345 } };
            const expected = ["release.prometheus.bearerToken is [secret]; it must be a string"];
            expect(programReasons(release)).to.deep.equal(expected);
            expect(releaseReasons(release)).to.deep.equal(expected);
        });
    });

    it("show: strings quoted, undefined named, DEL escaped (mesh-release's messages now escape it too)", () => {
        expect(show("v1")).to.equal('"v1"');
        expect(show(undefined)).to.equal("undefined");
        expect(show({ a: [1] })).to.equal('{"a":[1]}');
        expect(show("a\u007fb")).to.equal('"a\\u007fb"');
        expect(serviceContextProblems({ services: { app: { stable: { version: ["\u007f"] } } } }, "app")).to.deep.equal([
            'services.app.stable.version is ["\\u007f"]; the service needs a stable version label such as v1',
        ]);
        expect(serviceContextProblems({ services: { app: { stable: {} } } }, "app")).to.deep.equal([
            "services.app.stable.version is missing; the service needs a stable version label such as v1",
        ]);
    });

    describe("one Go-duration grammar (Istio's fields, the release policy, the CLI's flags)", () => {
        const table: Array<[string, number | undefined]> = [
            ["30s", 30_000],
            ["1m30s", 90_000],
            ["500ms", 500],
            ["1.5h", 5_400_000],
            [".5s", 500],
            ["1.s", 1000],
            ["250us", 0],
            ["1500000ns", 2],
            ["0", 0],
            ["0s", 0],
            ["1d", undefined],
            ["", undefined],
            ["10", undefined],
            ["-5s", undefined],
            ["5 s", undefined],
        ];
        for (const [text, ms] of table) {
            it(`${JSON.stringify(text)} -> ${String(ms)} ms, the same verdict from the regex, the parser and the release schema`, () => {
                expect(durationMs(text)).to.equal(ms);
                expect(GO_DURATION.test(text)).to.equal(ms !== undefined);
                expect(parseGoDuration(text) !== undefined).to.equal(ms !== undefined);
                expect(releaseSchema.safeParse({ update: { backoff: text } }).success).to.equal(ms !== undefined);
            });
        }
        it("a release duration outside the grammar: the same reason from both programs", () => {
            const expected = ['release.interval is "1d"; it must be a Go-style duration such as 500ms, 30s or 1m30s'];
            expect(programReasons({ interval: "1d" })).to.deep.equal(expected);
            expect(releaseReasons({ interval: "1d" })).to.deep.equal(expected);
        });
        it("the CLI's --interval takes the same grammar", () => {
            expect(requestProblems({ service: "app", overrides: { interval: "1.5m" } })).to.deep.equal([]);
            expect(requestProblems({ service: "app", overrides: { interval: "90" } }).map((p) => p.propertyPath)).to.deep.equal(["--interval"]);
        });
    });

    describe("steps that do not increase: one check, a message for the flag and one for the config", () => {
        it("every weight that is not above the one before it", () => {
            expect(stepsNotIncreasing([10, 25, 25, 20, 50])).to.deep.equal([
                { index: 2, weight: 25, previous: 25 },
                { index: 3, weight: 20, previous: 25 },
            ]);
            expect(stepsNotIncreasing([5])).to.deep.equal([]);
            expect(stepsNotIncreasing([])).to.deep.equal([]);
        });
        it("release.steps and --steps", () => {
            const parsed = releaseSchema.parse({ steps: [10, 10] });
            expect(releaseRules(parsed).map((p) => p.reason)).to.include(
                "release.steps[1] is 10; steps must increase strictly (10 comes before it); list the canary weights in ascending order",
            );
            expect(requestProblems({ service: "app", overrides: { steps: "50,20" } }).map((p) => p.reason)).to.deep.equal([
                '--steps is "50,20"; weights must increase strictly (50 then 20)',
            ]);
        });
    });

    describe("a config value from its text (Pulumi's config map, the recorded rollout state)", () => {
        it("JSON when it is JSON, else the text", () => {
            expect(jsonOrText('{"phase":"Progressing"}')).to.deep.equal({ phase: "Progressing" });
            expect(jsonOrText("25")).to.equal(25);
            expect(jsonOrText("true")).to.equal(true);
            expect(jsonOrText("v2")).to.equal("v2");
            expect(jsonOrText("{not json")).to.equal("{not json");
        });
        it("the program's config map and mesh-release's read agree on a JSON value and a bracketed plain string", () => {
            expect(configFromPulumiMap({ "mesh-traffic:release": '{"steps":[50,100]}', "mesh-traffic:layout": "single" }).raw).to.deep.equal({
                release: { steps: [50, 100] },
                layout: "single",
            });
            expect(configFromCliJson({ "mesh-traffic:rollouts": { value: '{"app":"{}"}' }, "mesh-traffic:note": { value: "[x" } }).config).to.deep.equal({
                rollouts: { app: "{}" },
                note: "[x",
            });
        });
        it("the recorded state is read from its JSON string, and a damaged one names the bad value inside it", () => {
            const state = { phase: "Progressing", version: "v2", stepIndex: 0, updatedAt: "2026-01-01T00:00:00Z" };
            expect(recordedRolloutStateSchema.parse(JSON.stringify(state))).to.include({ phase: "Progressing", version: "v2" });
            expect(recordedRolloutStateSchema.safeParse("{not json").success).to.equal(false);
            const config = { services: { app: { stable: { version: "v1" } } }, rollouts: { app: JSON.stringify({ ...state, phase: "Flying" }) } };
            const [reason] = serviceContextProblems(config, "app");
            expect(reason).to.match(/^rollouts\.app\.phase is "Flying"; it must be one of "Progressing", /);
            expect(reason).to.contain("(the recorded rollout state is damaged; remove it with: pulumi config rm --path rollouts.app)");
        });
    });

    it("uniqueProblems: each (path, reason) once, first order kept, a different reason or path kept", () => {
        const a = { propertyPath: "namespace", reason: "namespace is \"X\"; bad", fix: "f1" };
        const b = { propertyPath: "namespace", reason: "namespace is \"X\"; worse", fix: "f2" };
        const c = { propertyPath: "services.a", reason: "namespace is \"X\"; bad", fix: "f3" };
        expect(uniqueProblems([a, b, { ...a, fix: "other" }, c, b])).to.deep.equal([a, b, c]);
        expect(uniqueProblems([])).to.deep.equal([]);
    });

    describe("zod issues: one way to report them, the same reason from both programs", () => {
        const cases: Array<[string, unknown, string[]]> = [
            ["an unknown key, with a did-you-mean", { analysis: { sucessRate: 99 } }, ['release.analysis.sucessRate is not a key of release.analysis; did you mean "successRate"?']],
            ["a required key missing", { webhooks: [{ name: "h", type: "pre-step" }] }, ["release.webhooks[0].url is missing; it is required"]],
            ["a built-in range, phrased as a rule", { update: { retries: 11 } }, ["release.update.retries is 11; it must be at most 10"]],
            ["a wrong type", { steps: "10,20" }, ['release.steps is "10,20"; it must be an array']],
        ];
        for (const [what, release, expected] of cases) {
            it(what, () => {
                expect(programReasons(release)).to.deep.equal(expected);
                expect(releaseReasons(release)).to.deep.equal(expected);
            });
        }
    });
});

function serviceContextProblems(config: Record<string, unknown>, svc: string): string[] {
    const problems: ConfigProblem[] = [];
    serviceContext(config, svc, problems);
    return problems.map((p) => p.reason);
}

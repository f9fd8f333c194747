/**
 * Bad input the stack config check used to accept, or refused with a misleading or unreadable message: key
 * material in a credentialName, webhook URLs with tokens as plain config, settings that make every rollout fail,
 * mistyped enum values (a did-you-mean, no follow-ons judged as if the layout were `single`), unbounded values,
 * raw control characters, look-alike characters, key rules, fixes that reach into the recorded state's JSON
 * string, durations without a unit, and recorded rollouts of no service or with a time that is not RFC 3339.
 * Pure: checkStackConfig, checkEnvironment, parseStackConfig's error and mesh-release's resolvePolicy.
 */
import { expect } from "chai";
import { describeLookalikes, foldLookalikes, isLookalikeName } from "../../../contract/didYouMean";
import { showValue, tidyText } from "../../../contract/problems";
import { isRfc3339 } from "../../../contract/release";
import { isTokenLike, looksLikeKeyMaterial, urlTokenPlace } from "../../../contract/secrets";
import { resolvePolicy } from "../../../release/core/policy";
import { checkStackConfig, type StackConfigProblem } from "../../../stacks/config";
import { checkEnvironment } from "../../../stacks/environment";
import { parseStackConfig, StackConfigError } from "../../../stacks/readConfig";
import { baseStackConfig, sampleApp, type RawStack } from "../../support/stackFixtures";

const svc = sampleApp;

function problemsOf(edit: (raw: RawStack) => void, secretKeys?: string[]): StackConfigProblem[] {
    const raw = baseStackConfig();
    edit(raw);
    const result = checkStackConfig(raw, secretKeys === undefined ? {} : { secretKeys });
    expect(result.config, "the config must be refused").to.equal(undefined);
    return result.problems;
}

/** The message the engine prints for `raw` after `edit`. */
function messageOf(edit: (raw: RawStack) => void): string {
    const raw = baseStackConfig();
    edit(raw);
    try {
        parseStackConfig("dev", raw, { secretKeys: [] });
    } catch (err) {
        expect(err).to.be.instanceOf(StackConfigError);
        return (err as Error).message;
    }
    throw new Error("expected a StackConfigError");
}

const PEM = [
    "-----BEGIN PRIVATE KEY-----",
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj",
    "MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu",
    "-----END PRIVATE KEY-----",
].join("\n");

describe("bad input in the stack config (stacks/config.ts)", () => {
    describe("1. secrets in plain text", () => {
        it("a PEM private key in ingress.tls.credentialName is refused without echoing it, with the Secret-name rule and the fix", () => {
            const problems = problemsOf((r) => (r.ingress.tls = { mode: "SIMPLE", credentialName: PEM }));
            expect(problems).to.deep.equal([
                {
                    propertyPath: "ingress.tls.credentialName",
                    reason:
                        `ingress.tls.credentialName is [redacted: ${PEM.length} characters starting "-----BEGIN PRIVATE KEY-----"]; it must be the name of a ` +
                        "Kubernetes Secret (a DNS-1123 subdomain: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit, " +
                        "at most 253 characters), not the key or certificate itself; this looks like key material: it must not be in config at all " +
                        "(remove it, and rotate the key if the stack file was shared)",
                    fix:
                        "pulumi config rm --path 'ingress.tls.credentialName'; put the certificate and key in a Kubernetes TLS Secret in the gateway's " +
                        "namespace (kubectl create secret tls <name> --cert=<file> --key=<file> -n istio-system), then pulumi config set --path " +
                        "'ingress.tls.credentialName' <name>",
                },
            ]);
            const message = messageOf((r) => (r.ingress.tls = { mode: "SIMPLE", credentialName: PEM }));
            expect(message).to.contain('stack "dev": 1 problem');
            expect(message).not.to.contain("MIIE");
            expect(message).not.to.contain("bvJZHtCSuYEvu");
        });

        const notNames: Array<[string, string, boolean]> = [
            ["an upper-case name", "Shop_TLS", false],
            ["a base64 blob", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj", true],
            ["a name longer than 253 characters", `${"a".repeat(254)}`, true],
            ["two lines", "shop-tls\nsecond", true],
            ["an empty name", "", false],
        ];
        for (const [what, value, material] of notNames) {
            it(`${what} in credentialName is refused (${material ? "redacted" : "shown"})`, () => {
                const [p, ...rest] = problemsOf((r) => (r.ingress.tls = { mode: "MUTUAL", credentialName: value }));
                expect(rest).to.deep.equal([]);
                expect(p?.propertyPath).to.equal("ingress.tls.credentialName");
                expect(p?.reason).to.contain("it must be the name of a Kubernetes Secret (a DNS-1123 subdomain");
                if (material) {
                    expect(p?.reason).to.match(/^ingress\.tls\.credentialName is \[redacted: \d+ characters\]; /);
                    expect(p?.reason).not.to.contain(value.slice(0, 12));
                } else {
                    expect(p?.reason).to.contain(`is ${JSON.stringify(value)}; `);
                }
            });
        }

        it("a Secret name with dots (a DNS-1123 subdomain) is accepted", () => {
            const raw = baseStackConfig();
            raw.ingress.tls = { mode: "SIMPLE", credentialName: "shop.example-com.tls" };
            expect(checkStackConfig(raw).problems).to.deep.equal([]);
        });

        const tokenUrls: Array<[string, string, "path" | "query"]> = [
            ["Slack-style /services/T000/B000/XXXX", "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX", "path"],
            ["?token=", "https://hooks.example.com/rollout?token=abc", "query"],
            ["?key=", "https://hooks.example.com/rollout?key=abc", "query"],
            ["?sig=", "https://hooks.example.com/rollout?sv=2024&sig=abc", "query"],
            ["access_token", "https://hooks.example.com/rollout?access_token=abc", "query"],
            ["a long random path segment", "https://discord.com/api/webhooks/1234567890/aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY", "path"],
        ];
        for (const [what, url, place] of tokenUrls) {
            it(`a webhook URL with a token (${what}) must be a Pulumi secret, in both programs`, () => {
                const release = { webhooks: [{ name: "gate", type: "pre-step", url }] };
                const problems = problemsOf((r) => (r.release = release), []);
                const origin = `${new URL(url).protocol}//${new URL(url).host}`;
                expect(problems).to.deep.equal([
                    {
                        propertyPath: "release.webhooks[0].url",
                        reason: `release.webhooks[0].url is ${origin}/[secret] in plain text; a webhook URL with a token in its ${place} must be a Pulumi secret`,
                        fix: "pulumi config set --secret --path 'release.webhooks[0].url' <url>",
                    },
                ]);
                expect(JSON.stringify(problems)).not.to.contain(url.slice(origin.length));
                // Held as a secret (Pulumi marks the whole `release` key secret), it is accepted.
                const raw = baseStackConfig();
                raw.release = release;
                expect(checkStackConfig(raw, { secretKeys: ["release"] }).problems).to.deep.equal([]);
                // mesh-release: refused when the value is not among the stack's secrets, accepted when it is.
                expect(() => resolvePolicy("dev", release, {}, { secrets: [] })).to.throw(/a webhook URL with a token in its .* must be a Pulumi secret/);
                expect(() => resolvePolicy("dev", release, {}, { secrets: [url] })).not.to.throw();
            });
        }

        it("webhook URLs without a token stay plain config", () => {
            for (const url of ["https://hooks.example.com/rollout", "https://ci.example.com/hooks/rollout-hooks-v2/pre-step?stage=canary"]) {
                expect(urlTokenPlace(url), url).to.equal(undefined);
                const raw = baseStackConfig();
                raw.release = { webhooks: [{ name: "gate", type: "pre-step", url }] };
                expect(checkStackConfig(raw, { secretKeys: [] }).problems, url).to.deep.equal([]);
            }
        });

        it("isTokenLike and looksLikeKeyMaterial: tables", () => {
            expect(["aB3dE5fG7hJ9kL1mN3pQ5rS7", "0f8fad5b-d9cb-469f-a165-70867728950e", "d41d8cd98f00b204e9800998ecf8427e"].map(isTokenLike)).to.deep.equal([true, true, true]);
            expect(["rollout", "rollout-hooks-v2-production", "confirm-promotion", "v1"].map(isTokenLike)).to.deep.equal([false, false, false, false]);
            expect([PEM, "a\nb", "x".repeat(254), "shop-tls", "Shop_TLS"].map(looksLikeKeyMaterial)).to.deep.equal([true, true, true, false, false]);
        });
    });

    describe("2. settings that guarantee a failed rollout", () => {
        for (const zero of ["0", "0s", "0ms", "0h0m0s", "100ns"]) {
            it(`a webhook timeout of ${JSON.stringify(zero)} is refused`, () => {
                expect(problemsOf((r) => (r.release = { webhooks: [{ name: "gate", type: "pre-step", url: "https://h.example.com/x", timeout: zero }] }))).to.deep.equal([
                    {
                        propertyPath: "release.webhooks[0].timeout",
                        reason: `release.webhooks[0].timeout is ${JSON.stringify(zero)}; a timeout must be at least 1ms: every call of webhook "gate" would time out before it is answered (a gate fails the rollout)`,
                        fix: "pulumi config set --path 'release.webhooks[0].timeout' 10s",
                    },
                ]);
            });
        }

        it("release.prometheus.timeout 0s is refused; a bare 0 is told it needs a unit", () => {
            expect(problemsOf((r) => (r.release = { prometheus: { timeout: "0s" } }))).to.deep.equal([
                {
                    propertyPath: "release.prometheus.timeout",
                    reason: 'release.prometheus.timeout is "0s"; a timeout must be at least 1ms: every Prometheus query would time out at once (every analysis an error)',
                    fix: "pulumi config set --path 'release.prometheus.timeout' 5s",
                },
            ]);
            expect(problemsOf((r) => (r.release = { prometheus: { timeout: 0 } })).map((p) => p.reason)).to.deep.equal([
                'release.prometheus.timeout is 0; it must be a Go duration, which needs a unit: a bare 0 has none; write e.g. "0s" where zero is allowed, or a length such as "30s"',
            ]);
        });

        it("a sequential analysis whose scrapeInterval is longer than the step's window is refused; the same in fixed mode is not this rule's", () => {
            const release = { interval: "10s", analysis: { mode: "sequential" }, prometheus: { scrapeInterval: "30s" } };
            expect(problemsOf((r) => (r.release = release))).to.deep.equal([
                {
                    propertyPath: "release.prometheus.scrapeInterval",
                    reason:
                        'release.prometheus.scrapeInterval is "30s", longer than release.interval ("10s"), the window of each step; the sequential analysis ' +
                        "(release.analysis.mode sequential) looks once per scrape, so a step would end before Prometheus has a new sample to judge: every " +
                        "step Inconclusive, and the rollout rolls back; the window must be at least one scrape interval",
                    fix: "set release.interval to several scrape intervals (pulumi config set --path release.interval 120s), or scrapeInterval to your Prometheus' scrape_interval if it is shorter",
                },
            ]);
            expect(() => resolvePolicy("dev", release)).to.throw(/scrapeInterval is "30s", longer than release.interval/);
            const raw = baseStackConfig();
            raw.release = { interval: "30s", analysis: { mode: "sequential" }, prometheus: { scrapeInterval: "30s" } };
            expect(checkStackConfig(raw).problems).to.deep.equal([]);
        });
    });

    describe("3. mistyped enum values: a did-you-mean, and no follow-ons of a refused layout", () => {
        const layouts: Array<[string, string]> = [
            ["Service", "service"],
            ["plattform", "platform"],
            ["service ", "service"],
            ["SINGLE", "single"],
        ];
        for (const [typed, meant] of layouts) {
            it(`layout ${JSON.stringify(typed)} -> did you mean "${meant}", and nothing judged as if it were single`, () => {
                // A service stack's keys: judged as `single`, platformStack would be "set, but this stack has layout single".
                const raw = { layout: typed, platformStack: "production", services: { checkout: { image: "i", stable: { version: "v1" } } } };
                expect(checkStackConfig(raw).problems).to.deep.equal([
                    {
                        propertyPath: "layout",
                        reason: `layout is ${JSON.stringify(typed)}; it must be one of "single", "platform", "service"; did you mean "${meant}"?`,
                        fix: `pulumi config set --path 'layout' ${meant}`,
                    },
                ]);
            });
        }

        it("a platform stack with a mistyped layout: no 'route to a service this stack does not define' follow-on", () => {
            const raw = {
                layout: "platfrom",
                namespace: "shop",
                ingress: { enabled: true, hosts: ["shop.example.com"], tls: { mode: "SIMPLE", credentialName: "shop-tls" }, routes: [{ prefix: "/", service: "checkout" }] },
            };
            expect(checkStackConfig(raw).problems.map((p) => p.propertyPath)).to.deep.equal(["layout"]);
        });

        it("the environment check: a mistyped platform layout is one problem, a refused service stack is no 'no stack holds it'", () => {
            const platform = {
                stack: "prod",
                config: { layout: "Platform", namespace: "shop", ingress: { enabled: true, hosts: ["a.example.com"], tls: { mode: "SIMPLE", credentialName: "x" }, routes: [{ prefix: "/", service: "checkout" }] } },
            };
            const service = { stack: "prod.checkout", config: { layout: "service", platformStack: "prod", services: { checkout: { image: "i", stable: { version: "v1" }, canary: { version: "v2", weight: 120 } } } } };
            expect(checkEnvironment(platform, [service]).map((p) => `${p.stack}: ${p.reason}`)).to.deep.equal([
                'prod: layout is "Platform"; it must be one of "single", "platform", "service"; did you mean "platform"?',
                "prod.checkout: services.checkout.canary.weight is 120; it must be an integer from 0 to 100",
            ]);
        });

        const enums: Array<[string, (r: RawStack) => void, string, string]> = [
            ["ingress.tls.mode", (r) => (r.ingress.tls = { mode: "simple", credentialName: "shop-tls" }), "ingress.tls.mode", "SIMPLE"],
            ["loadBalancer.simple", (r) => (svc(r).trafficPolicy = { loadBalancer: { simple: "ROUND_ROBN" } }), "services.sample-app.trafficPolicy.loadBalancer.simple", "ROUND_ROBIN"],
            ["h2UpgradePolicy", (r) => (svc(r).trafficPolicy = { connectionPool: { http: { h2UpgradePolicy: "upgrade" } } }), "services.sample-app.trafficPolicy.connectionPool.http.h2UpgradePolicy", "UPGRADE"],
            ["trafficPolicy.tls.mode", (r) => (svc(r).trafficPolicy = { tls: { mode: "ISTIO-MUTUAL" } }), "services.sample-app.trafficPolicy.tls.mode", "ISTIO_MUTUAL"],
            ["release.analysis.mode", (r) => (r.release = { analysis: { mode: "sequentail" } }), "release.analysis.mode", "sequential"],
            ["release.analysis.reporter", (r) => (r.release = { analysis: { reporter: "Source" } }), "release.analysis.reporter", "source"],
            ["a webhook's type", (r) => (r.release = { webhooks: [{ name: "h", type: "pre_step", url: "https://h.example.com/x" }] }), "release.webhooks[0].type", "pre-step"],
        ];
        for (const [what, edit, path, meant] of enums) {
            it(`${what}: did you mean "${meant}", and the fix sets it`, () => {
                const [p, ...rest] = problemsOf(edit);
                expect(rest).to.deep.equal([]);
                expect(p?.propertyPath).to.equal(path);
                expect(p?.reason).to.match(new RegExp(`; it must be one of .*; did you mean "${meant}"\\?$`));
                expect(p?.fix).to.equal(`pulumi config set --path '${path}' ${meant}`);
            });
        }

        it("the recorded state's phase: did you mean, with the fix of the whole JSON string", () => {
            const [p] = problemsOf((r) => (r.rollouts = { "sample-app": JSON.stringify({ phase: "Progresing", version: "v2", stepIndex: 0, updatedAt: "2026-01-01T00:00:00Z" }) }));
            expect(p?.reason).to.match(/^rollouts\.sample-app\.phase is "Progresing"; it must be one of .*; did you mean "Progressing"\?$/);
        });
    });

    describe("4. messages", () => {
        it("a long value is cut to a bounded length with its size (a YAML alias expansion is not printed whole)", () => {
            // What an alias expanded many times gives: one value of the wrong type, megabytes of it.
            const huge = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`h${i}`, { host: `h${i}.example.com`, port: 443, extra: "x".repeat(100) }]));
            const message = messageOf((r) => {
                r.namespace = "x".repeat(5000);
                svc(r).hosts = huge;
            });
            expect(message.length).to.be.below(2000);
            expect(message).to.contain(`namespace is "${"x".repeat(95)}..." (5000 characters); it must be at most 63 characters`);
            expect(message).to.match(/services\.sample-app\.hosts is \{"h0":\{.{80,100}\.\.\. \(\d+ characters\); it must be an array/);
        });

        it("every quoted value in any message is bounded (a component's message too)", () => {
            // RE2's check is the component's (components/validation.ts), which shows the whole pattern.
            const [p] = problemsOf((r) => (svc(r).pins = [{ header: "x-user", regex: `^(?=${"a".repeat(300)})` }]));
            expect(p?.reason.length).to.be.below(400);
            expect(p?.reason).to.contain('..." (305 characters); it must be a regular expression RE2 accepts');
        });

        it("control characters in keys and values are printed escaped, never raw", () => {
            const problems = problemsOf((r) => {
                svc(r).canary["we\u0007ight"] = 5;
                svc(r).image = "img:{version}\u001b[31m";
                r.ingress.selector = { "istio\u200b": "ingressgateway" };
                svc(r).abTest = { header: "x-new", value: "on\u202e" };
            });
            const text = JSON.stringify(problems.map((p) => [p.reason, p.fix]));
            // eslint-disable-next-line no-control-regex -- the point: no raw control character in any reason or fix
            expect(problems.map((p) => p.reason + p.fix).join("")).not.to.match(/[\u0000-\u001f\u007f\u200b]/);
            expect(text).to.contain("services.sample-app.canary.we\\\\u0007ight is a key with control characters");
            expect(text).to.contain("img:{version}\\\\u001b[31m");
            expect(text).to.contain("ingress.selector.istio\\\\u200b is a key with invisible characters");
            expect(text).to.contain('services.sample-app.abTest.value is \\"on\\\\u202e\\"; it must not contain invisible characters');
        });

        it("a look-alike character in a key (Cyrillic с in checkout) is named, with its code point and the ASCII it looks like", () => {
            const problems = problemsOf((r) => {
                r.services["\u0441heckout"] = { image: "i", stable: { version: "v1" }, canary: {} };
                r.ingress.routes = [{ prefix: "/", service: "checkout" }];
            });
            expect(problems).to.deep.equal([
                {
                    propertyPath: "services.\u0441heckout",
                    reason:
                        'services.\u0441heckout has a key with look-alike characters ("\u0441heckout"): "\u0441" (U+0441 CYRILLIC SMALL LETTER ES, character 1) ' +
                        'looks like ASCII "c"; a key must be plain ASCII; did you mean "checkout"?',
                    fix: "pulumi config rm --path 'services.\u0441heckout', then set it again as 'services.checkout'",
                },
            ]);
        });

        it("a look-alike character in a name (a route's service, a top-level key) is named too", () => {
            const [route] = problemsOf((r) => (r.ingress.routes = [{ prefix: "/", service: "s\u0430mple-app" }]));
            expect(route?.reason).to.equal(
                'ingress.routes[0].service is "s\u0430mple-app", which has look-alike characters: "\u0430" (U+0430 CYRILLIC SMALL LETTER A, character 2) looks like ASCII "a"; it must be plain ASCII; did you mean "sample-app"?',
            );
            expect(route?.fix).to.equal("pulumi config set --path 'ingress.routes[0].service' sample-app");
            expect(isLookalikeName("\u0442\u0435\u0441\u0442")).to.equal(false); // a word wholly in Cyrillic is not a look-alike
            expect(foldLookalikes("ｃheckout")).to.equal("checkout");
            expect(describeLookalikes("ｃ")).to.equal('"ｃ" (U+FF43 FULLWIDTH FORM, character 1) looks like ASCII "c"');
        });

        it("a key that breaks its map's key rule states the rule (a DNS label, 63 characters), not 'must be a valid key'", () => {
            const problems = problemsOf((r) => {
                r.services["Sample_App"] = { image: "i", stable: { version: "v1" }, canary: {} };
                r.services["a".repeat(70)] = { image: "i", stable: { version: "v1" }, canary: {} };
            });
            expect(problems.map((p) => p.reason)).to.deep.equal([
                'services.Sample_App is not a valid key of services (the key "Sample_App"); it must be a DNS label: lower-case letters, digits and \'-\', starting and ending with a letter or digit',
                `services.${"a".repeat(61)}... (70 characters) is not a valid key of services (the key "${"a".repeat(70)}"); it must be at most 63 characters`,
            ]);
            expect(problems[0]?.fix).to.equal("pulumi config rm --path 'services.Sample_App', then set it again under a valid key such as 'services.sample-app'");
            expect(problems.map((p) => p.reason).join("\n")).not.to.contain("must be a valid key");
        });

        it("a problem inside rollouts.<svc> shows the value inside the JSON string and never suggests a --path into it", () => {
            const state = { phase: "Progressing", version: "v2", stepIndex: 0, steps: [10, 120], updatedAt: "2026-01-01T00:00:00Z" };
            const problems = problemsOf((r) => (r.rollouts = { "sample-app": JSON.stringify(state) }));
            expect(problems).to.deep.equal([
                {
                    propertyPath: "rollouts.sample-app.steps[1]",
                    reason: "rollouts.sample-app.steps[1] is 120; it must be at most 100",
                    fix:
                        "mesh-release writes rollouts.sample-app whole, as one JSON string, so no --path reaches inside it: remove the damaged state " +
                        "(pulumi config rm --path 'rollouts.sample-app'), or set the whole string again (pulumi config set --path 'rollouts.sample-app' '<the state as JSON>')",
                },
            ]);
            for (const p of problems) expect(p.fix).not.to.match(/--path 'rollouts\.sample-app\./);
        });

        const weights: Array<[string, (r: RawStack) => void]> = [
            ["canary.weight", (r) => (svc(r).canary.weight = 120)],
            ["canary.weight with replicas 0 (no 'sends 100 % to stable' follow-on)", (r) => { svc(r).canary.weight = 120; svc(r).replicas = 0; }],
            ["canary.weight of an unrouted canary", (r) => (svc(r).canary = { version: "v2", weight: 120, routed: false })],
            ["a uriRoutes weight", (r) => (svc(r).uriRoutes = [{ prefix: "/x", weights: { stable: 120 } }])],
            ["a release step", (r) => (r.release = { steps: [10, 120] })],
        ];
        for (const [what, edit] of weights) {
            it(`one out-of-range weight (${what}) is one problem`, () => {
                const problems = problemsOf(edit);
                expect(problems.map((p) => p.reason), JSON.stringify(problems)).to.have.length(1);
                expect(problems[0]?.reason).to.match(/ is 120; it must be/);
            });
        }

        const unitless: Array<[string, (r: RawStack) => void, string, string]> = [
            ["a route timeout", (r) => (svc(r).timeout = "15"), "services.sample-app.timeout", '"15"'],
            ["a route timeout as a number", (r) => (svc(r).timeout = 15), "services.sample-app.timeout", "15"],
            ["release.interval", (r) => (r.release = { interval: "15" }), "release.interval", '"15"'],
            ["a webhook timeout", (r) => (r.release = { webhooks: [{ name: "h", type: "pre-step", url: "https://h.example.com/x", timeout: 15 }] }), "release.webhooks[0].timeout", "15"],
        ];
        for (const [what, edit, path, shown] of unitless) {
            it(`a duration without a unit (${what}) is told it is a Go duration that needs one`, () => {
                expect(problemsOf(edit).map((p) => p.reason)).to.deep.equal([
                    `${path} is ${shown}; it must be a Go duration, which needs a unit: "15s" for 15 seconds or "15ms" for 15 milliseconds (units h, m, s, ms, us, ns)`,
                ]);
            });
        }

        it("showValue and tidyText: bounded, escaped, idempotent", () => {
            expect(showValue("x".repeat(500))).to.equal(`"${"x".repeat(95)}..." (500 characters)`);
            expect(showValue("a\u202eb")).to.equal('"a\\u202eb"');
            expect(showValue({ a: "y".repeat(200) })).to.match(/^\{"a":"y+\.\.\. \(208 characters\)$/);
            const once = tidyText(`a is "${"z".repeat(300)}"; b ${"w".repeat(400)}`);
            expect(tidyText(once)).to.equal(once);
            expect(once.length).to.be.below(350);
        });
    });

    describe("5. the recorded rollout state", () => {
        const state = (updatedAt: string): string => JSON.stringify({ phase: "Progressing", version: "v2", stepIndex: 0, updatedAt });

        it("rollouts.<svc> for a service the stack does not have is refused, with a did-you-mean", () => {
            expect(problemsOf((r) => (r.rollouts = { "sample-ap": state("2026-01-01T00:00:00Z") }))).to.deep.equal([
                {
                    propertyPath: "rollouts.sample-ap",
                    reason:
                        'rollouts.sample-ap is the recorded rollout of service "sample-ap", which this stack does not have (services: "sample-app"); ' +
                        'a recorded rollout must belong to a service of the stack; did you mean "sample-app"?',
                    fix: "pulumi config rm --path 'rollouts.sample-ap' (mesh-release records the state again when it next runs for a service of this stack)",
                },
            ]);
        });

        for (const bad of ["yesterday", "2026-01-01", "2026-01-01 00:00:00", "2026-02-30T00:00:00Z", "2026-01-01T25:00:00Z", "2026-01-01T00:00:00"]) {
            it(`an updatedAt of ${JSON.stringify(bad)} is refused (not RFC 3339)`, () => {
                expect(problemsOf((r) => (r.rollouts = { "sample-app": state(bad) })).map((p) => p.reason)).to.deep.equal([
                    `rollouts.sample-app.updatedAt is ${JSON.stringify(bad)}; it must be an RFC 3339 time such as "2026-01-01T12:00:00Z" (date, "T", time, and "Z" or an offset like +02:00)`,
                ]);
            });
        }

        it("RFC 3339 times mesh-release writes (toISOString) and with offsets are accepted", () => {
            for (const good of [new Date(0).toISOString(), "2026-01-01T00:00:00Z", "2026-01-01T12:30:00.5+02:00", "2024-02-29T23:59:59-08:00"]) {
                expect(isRfc3339(good), good).to.equal(true);
            }
            const raw = baseStackConfig();
            raw.rollouts = { "sample-app": state(new Date().toISOString()) };
            expect(checkStackConfig(raw).problems).to.deep.equal([]);
        });
    });
});

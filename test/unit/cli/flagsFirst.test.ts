/**
 * mesh-release checks its flags before it reads the stack (issue 10, "The release CLI"): with no Pulumi CLI
 * reachable, a bad flag of any command is exit 2 naming the flag, never exit 3 "cannot run the Pulumi CLI";
 * a Prometheus URL that is not http(s) is refused the same way.
 */
import { expect } from "chai";
import { runCli, type CliIO } from "../../../release/cli";
import { DriverError, type TrafficDriver } from "../../../release/driver/driver";
import { harness } from "../release/fakes";

/** A driver for a stack whose Pulumi CLI cannot be run: every call fails as the real one does. */
const unreachable: TrafficDriver = {
    stackName: "dev",
    read: () => Promise.reject(new DriverError("unavailable", "cannot run the Pulumi CLI: spawn pulumi ENOENT")),
    write: () => Promise.reject(new DriverError("unavailable", "cannot run the Pulumi CLI: spawn pulumi ENOENT")),
    update: () => Promise.reject(new DriverError("unavailable", "cannot run the Pulumi CLI: spawn pulumi ENOENT")),
    cancel: () => Promise.resolve(),
    lock: () => Promise.resolve(() => Promise.resolve()),
};

async function run(argv: string[], driver: TrafficDriver = unreachable): Promise<{ code: number; out: string }> {
    const h = harness();
    let out = "";
    const cio: CliIO = {
        stdout: (s) => (out += s),
        stderr: (s) => (out += s),
        tty: false,
        cwd: "/work/proj",
        env: {},
        tickMs: 0,
        now: () => h.clock.now(),
        connect: () => ({ driver, metrics: () => h.metrics, clock: h.clock }),
    };
    const code = await runCli(argv, cio);
    return { code, out };
}

const COMMON = ["--stack", "dev", "--service", "sample-app"];

describe("mesh-release checks flags before reading the stack (release/cli/)", () => {
    const table: Array<[string, string[], string]> = [
        ["canary --steps that decrease", ["canary", ...COMMON, "--version", "v2", "--steps", "10,5"], '--steps is "10,5"; weights must increase strictly (10 then 5)'],
        ["canary --interval 0s", ["canary", ...COMMON, "--version", "v2", "--interval", "0s"], '--interval is "0s"; it must be a Go-style duration of at least 1s'],
        ["canary --success-rate 120", ["canary", ...COMMON, "--version", "v2", "--success-rate", "120"], '--success-rate is "120"; it must be a number from 0 to 100'],
        ["canary --version V2!", ["canary", ...COMMON, "--version", "V2!"], '--version is "V2!"; it must be a lower-case version label'],
        ["canary --version 2 (Pulumi would store a number)", ["canary", ...COMMON, "--version", "2"], '--version is "2"; pulumi config set --path would store it as a number'],
        ["canary --service Bad_Name", ["canary", "--stack", "dev", "--service", "Bad_Name", "--version", "v2"], '--service is "Bad_Name"; it must be a service key'],
        ["status --max-p95 0", ["status", ...COMMON, "--max-p95", "0"], '--max-p95 is "0"; it must be a number from 1 to 3600000'],
        ["status --min-requests 1.5", ["status", ...COMMON, "--min-requests", "1.5"], '--min-requests is "1.5"; it must be an integer from 1 to 1000000000'],
        ["status --prometheus-url file:///etc/passwd", ["status", ...COMMON, "--prometheus-url", "file:///etc/passwd"], '--prometheus-url is "file:///etc/passwd"; it must be an http or https URL'],
        ["status --prometheus-url javascript:alert(1)", ["status", ...COMMON, "--prometheus-url", "javascript:alert(1)"], '--prometheus-url is "javascript:alert(1)"; it must be an http or https URL'],
        ["status --prometheus-url with credentials", ["status", ...COMMON, "--prometheus-url", "http://u:pw-9@prom:9090"], "--prometheus-url contains credentials (http://[secret]@prom:9090)"],
        ["promote --version V2!", ["promote", ...COMMON, "--version", "V2!"], '--version is "V2!"'],
        ["rollback --service Bad_Name", ["rollback", "--stack", "dev", "--service", "Bad_Name"], '--service is "Bad_Name"'],
        ["ab-test --service Bad_Name", ["ab-test", "--stack", "dev", "--service", "Bad_Name", "--flag", "x-new"], '--service is "Bad_Name"'],
        ["fault clear --service Bad_Name", ["fault", "clear", "--stack", "dev", "--service", "Bad_Name"], '--service is "Bad_Name"'],
    ];
    for (const [what, argv, expected] of table) {
        it(`${what}: exit 2 naming the flag, with no Pulumi CLI reachable`, async () => {
            const r = await run(argv);
            expect(r.out).to.include(expected);
            expect(r.out).not.to.include("cannot run the Pulumi CLI");
            expect(r.code, r.out).to.equal(2);
        });
    }

    it("every bad flag of one command in one run", async () => {
        const r = await run(["canary", "--stack", "dev", "--service", "sample-app", "--version", "V2!", "--steps", "10,5", "--interval", "0s"]);
        expect(r.code).to.equal(2);
        for (const flag of ["--version is", "--steps is", "--interval is"]) {
            expect(r.out).to.include(flag);
        }
    });

    it("good flags still reach the stack (exit 3 when the Pulumi CLI cannot run)", async () => {
        const r = await run(["status", ...COMMON, "--prometheus-url", "https://prom.example.com"]);
        expect(r.code).to.equal(3);
        expect(r.out).to.include("cannot run the Pulumi CLI");
    });

    it("a credential in --prometheus-url is never printed", async () => {
        const r = await run(["canary", ...COMMON, "--version", "v2", "--prometheus-url", "http://ops:pw-secret-9@prom:9090"]);
        expect(r.out).not.to.include("pw-secret-9");
    });
});

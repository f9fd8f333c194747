/** The stack rules' problem type, apart from stacks/rules.ts so that the files rules.ts imports can name it without an import cycle. Pure. */
import type { Problem } from "../components/validation";

/** A problem with the fix to print under it. */
export interface RuleProblem extends Problem {
    fix: string;
    /**
     * Config paths this problem is about besides its own: when the schema rejected one of them, this problem
     * is a follow-on of that rejection and is not reported (stacks/config.ts).
     */
    about?: readonly string[];
}

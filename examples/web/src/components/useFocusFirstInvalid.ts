import { useEffect, type RefObject } from "react";

import type { FormProblem } from "../problems";

/** After a failed submit, moves the focus to the first field the API complained about. */
export function useFocusFirstInvalid(form: RefObject<HTMLFormElement | null>, problem: FormProblem): void {
  useEffect(() => {
    if (Object.keys(problem.fields).length === 0) return;
    form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [form, problem]);
}

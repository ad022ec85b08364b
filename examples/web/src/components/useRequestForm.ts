import { useEffect, useRef, useState, type FormEvent, type RefObject } from "react";

import { NETWORK_PROBLEM, NO_PROBLEM, type FormProblem } from "../problems";

/** A form that sends one request to the API: what its `<form>`, fields and submit button need. */
export interface RequestForm<Name extends string> {
  /** True while the request is under way. */
  busy: boolean;
  /** What the API (or the network) answered to the last submit; {@link NO_PROBLEM} before and after success. */
  problem: FormProblem;
  /** Spread on the `<form>`: it is submitted by script, and not checked by the browser. */
  form: {
    ref: RefObject<HTMLFormElement | null>;
    onSubmit(event: FormEvent<HTMLFormElement>): void;
    noValidate: true;
  };
  /** Spread on the field for the value `name`: its value, its change handler, and the API's message for it. */
  field(name: Name): { value: string; onChange(value: string): void; error: string | undefined };
  /**
   * Sends another request with the fields' values, as a submit does (busy, problem, focus): for a second
   * button of the form, e.g. "Email me a sign-in link" beside "Log in".
   */
  send(other: Send<Name>): void;
}

/** Sends a form's request; resolves to the problem to show when the API refused. */
type Send<Name extends string> = (values: Record<Name, string>, reset: () => void) => Promise<FormProblem | void>;

/**
 * The one way the app's forms talk to the API: on submit, the form is busy and its old problem
 * cleared; `send` runs with the fields' values and resolves to the problem to show when the API
 * refused (nothing when it succeeded, and then it has done what follows). A throw means the
 * server was not reached. After a refusal, the focus moves to the first field it is about.
 *
 * @param initial - each field's value at first (and after `reset`), under the API's name for it
 * @param send - sends the request; `reset` puts the fields back to `initial`
 */
export function useRequestForm<Name extends string>(
  initial: Record<Name, string>,
  send: Send<Name>,
): RequestForm<Name> {
  const [values, setValues] = useState(initial);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<FormProblem>(NO_PROBLEM);
  const ref = useRef<HTMLFormElement>(null);

  useEffect(() => {
    if (Object.keys(problem.fields).length === 0) return;
    ref.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [problem]);

  async function submit(request: Send<Name>): Promise<void> {
    setBusy(true);
    setProblem(NO_PROBLEM);
    try {
      const refused = await request(values, () => setValues(initial));
      if (refused) setProblem(refused);
    } catch {
      setProblem(NETWORK_PROBLEM);
    } finally {
      setBusy(false);
    }
  }

  return {
    busy,
    problem,
    form: {
      ref,
      onSubmit(event) {
        event.preventDefault();
        void submit(send);
      },
      noValidate: true,
    },
    field: (name) => ({
      value: values[name],
      onChange: (value) => setValues((current) => ({ ...current, [name]: value })),
      error: problem.fields[name],
    }),
    send: (other) => void submit(other),
  };
}

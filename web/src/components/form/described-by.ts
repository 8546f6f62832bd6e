// The hint and the errors of a field are read out with it.
export function describedBy(id: string, hint: string | undefined, errors: readonly string[] | undefined): string | undefined {
  const ids = [hint ? `${id}-hint` : null, errors && errors.length > 0 ? `${id}-error` : null].filter((part) => part !== null);
  return ids.length === 0 ? undefined : ids.join(" ");
}

// The ARIA attributes every field control carries: invalid while it has errors, described by its hint and errors.
export function fieldAria(
  id: string,
  hint: string | undefined,
  errors: readonly string[],
): { "aria-invalid": "true" | undefined; "aria-describedby": string | undefined } {
  return { "aria-invalid": errors.length > 0 ? "true" : undefined, "aria-describedby": describedBy(id, hint, errors) };
}

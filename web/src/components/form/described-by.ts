// The hint and the errors of a field are read out with it.
export function describedBy(id: string, hint: string | undefined, errors: readonly string[] | undefined): string | undefined {
  const ids = [hint ? `${id}-hint` : null, errors && errors.length > 0 ? `${id}-error` : null].filter((part) => part !== null);
  return ids.length === 0 ? undefined : ids.join(" ");
}

/** `document.pdf-to-jpg` → `pdf-to-jpg`: the `{conversion}` part of a multi-output ZIP name. */
export function conversionName(converterId: string): string {
  const dot = converterId.indexOf('.');
  return dot === -1 ? converterId : converterId.slice(dot + 1);
}

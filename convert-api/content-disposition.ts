/**
 * `attachment; filename="<ASCII fallback>"`, plus `filename*=UTF-8''<encoded>` when the name is not plain
 * ASCII (RFC 6266). Always quoted, as the upstream's documentation shows it.
 */
export function attachment(fileName: string): string {
  const fallback = fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const header = `attachment; filename="${fallback}"`;
  if (fallback === fileName) return header;
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${header}; filename*=UTF-8''${encoded}`;
}

/** Content types of the artifacts the run page previews; anything else is downloaded as bytes. */
const TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  json: 'application/json; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
  log: 'text/plain; charset=utf-8',
  csv: 'text/plain; charset=utf-8',
  md: 'text/plain; charset=utf-8',
  yaml: 'text/plain; charset=utf-8',
  yml: 'text/plain; charset=utf-8',
};

function extension(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(dot + 1).toLowerCase();
}

export function artifactType(name: string): string {
  return TYPES[extension(name)] ?? 'application/octet-stream';
}

/** Raster images, JSON and text: shown in the page. SVG and HTML are not here on purpose (they can carry scripts). */
export function previewable(name: string): boolean {
  return extension(name) in TYPES;
}

export function previewKind(name: string): 'image' | 'json' | 'text' | null {
  const type = TYPES[extension(name)];
  if (type === undefined) return null;
  return type.startsWith('image/') ? 'image' : type.startsWith('application/json') ? 'json' : 'text';
}

// wawoff2 ships no types: Google's woff2 compiled to WebAssembly, both functions reject on malformed input.
declare module 'wawoff2' {
  export function compress(sfnt: Uint8Array): Promise<Uint8Array>;
  export function decompress(woff2: Uint8Array): Promise<Uint8Array>;
}

/** Replaced at build time from package.json; the bin answers --version without loading this. */
declare const __SGN_VERSION__: string | undefined;
export const version: string = typeof __SGN_VERSION__ === 'string' ? __SGN_VERSION__ : '0.0.0-dev';

/** The user agent of every request sgn sends (AWS and registries). */
export const userAgent = `sgn/${version}`;

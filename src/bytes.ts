/**
 * A size for people, rounded: decimal units as docker and skopeo print image sizes (`28.2 MB`),
 * or binary units (`4.2 KiB`) where files are compared with binary limits. Never for limits.
 */
export function formatBytes(n: number, units: 'decimal' | 'binary' = 'decimal'): string {
  if (units === 'binary') {
    if (n < 1024) return `${n} B`;
    if (n < 1024 * 1024) return `${(n / 1024).toFixed(1).replace(/\.0$/, '')} KiB`;
    return `${(n / 1024 / 1024).toFixed(1).replace(/\.0$/, '')} MiB`;
  }
  if (n < 1000) return `${n} B`;
  const names = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1000;
  let i = 0;
  while (v >= 1000 && i < names.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${names[i]}`;
}

/** "1,100,007 bytes": exact, for sizes compared with a limit. */
export function exactBytes(n: number): string {
  return `${String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',')} byte${n === 1 ? '' : 's'}`;
}

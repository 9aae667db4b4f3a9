/** An absolute path on any platform the studio's main process may run on (POSIX, or C:\ / C:/). */
export function isAbsolutePath(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\')
}

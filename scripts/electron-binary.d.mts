/** The Electron binary's path, or null with the reason it is missing. */
export function electronBinary(): { path: string } | { path: null; reason: string }

// Electron lifecycle and windows only (filled in by the desktop shell area).
export {}

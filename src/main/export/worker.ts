// Export worker entry (filled in by the export area).
export {}

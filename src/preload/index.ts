// One function per contract channel (filled in by the desktop shell area).
export {}

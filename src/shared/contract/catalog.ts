// Channels of the catalog area. Owned by that area; extend here.
export const catalogChannels = {}
export const catalogEvents = {}

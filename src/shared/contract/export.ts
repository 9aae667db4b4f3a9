// Channels of the export area. Owned by that area; extend here.
export const exportChannels = {}
export const exportEvents = {}

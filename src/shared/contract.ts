// The single contract every door is derived from: the preload, the ipcMain binding, the
// browser-mode server and the renderer's api.ts. Areas keep their channels in ./contract/*.ts.
import type { z } from 'zod'
import type { Channel, EventDef } from './contract/define'
import { appChannels, appEvents } from './contract/app'
import { catalogChannels, catalogEvents } from './contract/catalog'
import { engineChannels, engineEvents } from './contract/engine'
import { exportChannels, exportEvents } from './contract/export'
import { labelChannels, labelEvents } from './contract/labels'

export const channels = {
  ...appChannels,
  ...catalogChannels,
  ...engineChannels,
  ...exportChannels,
  ...labelChannels,
}
export const events = {
  ...appEvents,
  ...catalogEvents,
  ...engineEvents,
  ...exportEvents,
  ...labelEvents,
}

export type Channels = typeof channels
export type ChannelName = keyof Channels
export type EventName = keyof typeof events
export type InputOf<C extends ChannelName> = Channels[C] extends Channel<infer I, unknown> ? z.input<I> : never
export type ParsedInputOf<C extends ChannelName> = Channels[C] extends Channel<infer I, unknown> ? z.output<I> : never
export type ResultOf<C extends ChannelName> = Channels[C] extends Channel<z.ZodType, infer R> ? R : never
export type PayloadOf<E extends EventName> = (typeof events)[E] extends EventDef<infer P> ? P : never

export const channelNames = Object.keys(channels) as ChannelName[]
export const eventNames = Object.keys(events) as EventName[]

/** What a renderer-side caller sees: one async function per channel. */
export type Api = { [C in ChannelName]: (input: InputOf<C>) => Promise<ResultOf<C>> }

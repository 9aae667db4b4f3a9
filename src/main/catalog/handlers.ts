import type { AreaHandlers } from '../services/handlers'
import type { catalogChannels } from '../../shared/contract/catalog'

export const catalogHandlers: AreaHandlers<keyof typeof catalogChannels> = {}

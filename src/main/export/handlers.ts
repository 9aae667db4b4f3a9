import type { AreaHandlers } from '../services/handlers'
import type { exportChannels } from '../../shared/contract/export'

export const exportHandlers: AreaHandlers<keyof typeof exportChannels> = {}

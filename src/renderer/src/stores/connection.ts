// The state of the link to the services (browser mode reconnects by itself).
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { api, type ConnectionState } from '../api'

export const useConnectionStore = defineStore('connection', () => {
  const state = ref<ConnectionState>('connecting')
  let started = false
  function start(): void {
    if (started) return
    started = true
    api.onConnection((s) => (state.value = s))
  }
  return { state, start }
})

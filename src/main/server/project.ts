// Which project a door opens when the user names none: the sample project in the user data
// folder (CATALOG's openOrCreateSampleProject), or none until the catalog provides it.
import type { ServiceContext } from '../services'

export async function openDefaultProject(_ctx: ServiceContext): Promise<void> {
  // Filled in when src/main/catalog exports openOrCreateSampleProject.
}

// electron-builder afterPack hook: flips Electron's fuses in the packaged binary before signing.
//   RunAsNode off                      ELECTRON_RUN_AS_NODE cannot turn the app into a plain node
//   NodeOptions env off                NODE_OPTIONS cannot inject code
//   Node CLI inspect arguments off     --inspect cannot attach a debugger to the packaged app
//   OnlyLoadAppFromAsar on             the app code is only ever read from app.asar
//   EmbeddedAsarIntegrityValidation on app.asar is checked against the hash electron-builder
//                                      embeds (enforced by Electron on macOS and Windows)
//   CookieEncryption on, GrantFileProtocolExtraPrivileges off (we never use file://)
const { existsSync } = require('node:fs')
const { join } = require('node:path')
const { flipFuses, FuseVersion, FuseV1Options } = require('@electron/fuses')

/** The fuse settings, per platform (resetting the ad-hoc signature matters on Apple silicon). */
function fuseConfig(platform) {
  return {
    version: FuseVersion.V1,
    resetAdHocDarwinSignature: platform === 'darwin',
    [FuseV1Options.RunAsNode]: false,
    [FuseV1Options.EnableCookieEncryption]: true,
    [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
    [FuseV1Options.EnableNodeCliInspectArguments]: false,
    [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
    [FuseV1Options.OnlyLoadAppFromAsar]: true,
    [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
  }
}

/** The packaged Electron executable inside appOutDir. */
function executablePath(context) {
  const platform = context.electronPlatformName
  const name = context.packager.appInfo.productFilename
  if (platform === 'darwin' || platform === 'mas') return join(context.appOutDir, `${name}.app`)
  if (platform === 'win32') return join(context.appOutDir, `${name}.exe`)
  return join(context.appOutDir, context.packager.executableName)
}

/** Where electron-builder put the resources folder for this platform. */
function resourcesDir(context) {
  const platform = context.electronPlatformName
  if (platform === 'darwin' || platform === 'mas') return join(executablePath(context), 'Contents', 'Resources')
  return join(context.appOutDir, 'resources')
}

async function afterPack(context) {
  const binding = join(resourcesDir(context), 'electron-sqlite', 'better_sqlite3.node')
  if (!existsSync(binding)) {
    throw new Error(
      `${binding} is missing: run \`node scripts/build-electron-sqlite.mjs --strict\` before \`npm run dist\` (the app cannot open projects without it)`,
    )
  }
  const exe = executablePath(context)
  await flipFuses(exe, fuseConfig(context.electronPlatformName))
  console.log(`lockstep: fuses set in ${exe} (RunAsNode, NODE_OPTIONS, --inspect off; app only from an integrity-checked asar)`)
}

module.exports = afterPack
module.exports.default = afterPack
module.exports.fuseConfig = fuseConfig
module.exports.executablePath = executablePath
module.exports.resourcesDir = resourcesDir

// deploy/: the Kubernetes Indexed Job and the Slurm array that run one export across machines.
// Their structure is checked (YAML parsed with python3-yaml, the sbatch header), every lockstep
// flag they pass is one `lockstep export --help` lists, and both are run here as the schedulers
// would run them (each shard a process with JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID set, all in
// parallel): the shards' union is the single-machine export, file for file and line for line.
import { execFile } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'
import { CLI, makePairs, RECIPE, ROOT, tmp } from '../export/helpers'
import { writeJson } from '../python/helpers'

const exec = promisify(execFile)
const DEPLOY = join(ROOT, 'deploy')
const K8S = join(DEPLOY, 'kubernetes')
const LOCKSTEP = `node ${CLI}`

async function yaml(file: string): Promise<any[]> {
  const { stdout } = await exec('/usr/bin/python3', ['-c', 'import sys, json, yaml; print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))', file])
  return JSON.parse(stdout)
}

function flagsOf(text: string): string[] {
  return [...new Set([...text.matchAll(/(?<![\w-])--[a-z][a-z-]*/g)].map((m) => m[0]))]
}

async function helpFlags(command: string): Promise<Set<string> | null> {
  try {
    const { stdout, stderr } = await exec('node', [CLI, command, '--help'])
    return new Set(flagsOf(stdout + stderr))
  } catch {
    return null
  }
}

/** Every file under dir except the per-run manifest/description: relative path -> bytes. */
function files(dir: string, into = new Map<string, Buffer>(), root = dir): Map<string, Buffer> {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e)
    if (statSync(p).isDirectory()) files(p, into, root)
    else if (e !== 'manifest.jsonl' && e !== 'export.json') into.set(relative(root, p), readFileSync(p))
  }
  return into
}

let config: Record<string, string>
let job: any
let merge: any
let pvc: any

beforeAll(async () => {
  ;[config] = (await yaml(join(K8S, 'config.yaml'))).map((d) => d.data)
  ;[job] = await yaml(join(K8S, 'export-job.yaml'))
  ;[merge] = await yaml(join(K8S, 'merge-job.yaml'))
  ;[pvc] = await yaml(join(K8S, 'storage.yaml'))
})

describe('deploy/ manifests', () => {
  it('Kubernetes: an Indexed Job with one completion per shard, sharing config, image and storage with the merge Job', async () => {
    expect(job).toMatchObject({ apiVersion: 'batch/v1', kind: 'Job', spec: { completionMode: 'Indexed', template: { spec: { restartPolicy: 'Never' } } } })
    expect(job.spec.completions).toBe(Number(config.LOCKSTEP_SHARDS))
    expect(job.spec.parallelism).toBeLessThanOrEqual(job.spec.completions)
    const [c] = job.spec.template.spec.containers
    const [m] = merge.spec.template.spec.containers
    expect(merge).toMatchObject({ apiVersion: 'batch/v1', kind: 'Job', spec: { completions: 1, template: { spec: { restartPolicy: 'Never' } } } })
    expect(c.args).toEqual(['exec "$LOCKSTEP_HOME/deploy/export-shard.sh" "$JOB_COMPLETION_INDEX" "$LOCKSTEP_SHARDS"'])
    expect(m.args).toEqual(['exec "$LOCKSTEP_HOME/deploy/merge.sh"'])
    const cfgName = (await yaml(join(K8S, 'config.yaml')))[0].metadata.name
    for (const x of [c, m]) {
      expect(x.command).toEqual(['/bin/sh', '-c'])
      expect(x.envFrom).toEqual([{ configMapRef: { name: cfgName } }])
      expect(x.volumeMounts).toEqual([{ name: 'data', mountPath: '/data' }])
    }
    expect(m.image).toBe(c.image)
    const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version
    expect(c.image).toBe(`lockstep:${version}`)
    for (const j of [job, merge]) expect(j.spec.template.spec.volumes).toEqual([{ name: 'data', persistentVolumeClaim: { claimName: pvc.metadata.name } }])
    expect(pvc).toMatchObject({ kind: 'PersistentVolumeClaim', spec: { accessModes: ['ReadWriteMany'] } })
    // every path the shards read or write is on the shared volume
    for (const k of ['LOCKSTEP_IMAGES', 'LOCKSTEP_MASKS', 'LOCKSTEP_RECIPE', 'LOCKSTEP_OUT']) expect(config[k], k).toMatch(/^\/data\//)
    // the image the manifests name provides what their commands use
    const docker = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8')
    expect(docker).toContain('ENV LOCKSTEP_HOME=/opt/lockstep')
    expect(docker).toContain('ln -s /opt/lockstep/bin/lockstep.js /usr/local/bin/lockstep')
    expect(docker).toContain(`-t ${c.image} `)
  })

  it('Slurm: a 0-based array running the shard script, the merge queued afterok', async () => {
    const sbatch = readFileSync(join(DEPLOY, 'slurm', 'export.sbatch'), 'utf8')
    const header = Object.fromEntries([...sbatch.matchAll(/^#SBATCH --([a-z-]+)=(\S+)/gm)].map((m) => [m[1], m[2]]))
    expect(header.array).toMatch(/^0-\d+$/)
    expect(header['cpus-per-task']).toMatch(/^\d+$/)
    expect(sbatch).toContain('exec "$home/deploy/export-shard.sh" "$SLURM_ARRAY_TASK_ID" "${SLURM_ARRAY_TASK_COUNT')
    const submit = readFileSync(join(DEPLOY, 'slurm', 'submit.sh'), 'utf8')
    expect(submit).toContain('sbatch --parsable --array="0-$((n - 1))"')
    expect(submit).toContain('--dependency="afterok:$jid"')
    for (const f of ['slurm/export.sbatch', 'slurm/merge.sbatch']) await exec('bash', ['-n', join(DEPLOY, f)])
    for (const f of ['export-shard.sh', 'merge.sh', 'slurm/submit.sh']) await exec('sh', ['-n', join(DEPLOY, f)])
  })

  it('passes lockstep only flags its --help lists', async () => {
    const exportFlags = await helpFlags('export')
    expect(exportFlags).not.toBeNull()
    const script = readFileSync(join(DEPLOY, 'export-shard.sh'), 'utf8')
      .split('\n')
      .filter((l) => /(^|\s)(set --|exec) /.test(l))
      .join('\n')
    const used = [...flagsOf(script), ...flagsOf(config.LOCKSTEP_EXPORT_ARGS)]
    expect(used).toEqual(expect.arrayContaining(['--shard', '--out', '--recipe', '--images', '--masks', '--project', '--workers', '--seed', '--format']))
    for (const f of used) expect(exportFlags!.has(f), `lockstep export ${f}`).toBe(true)
    const mergeFlags = await helpFlags('merge')
    if (!mergeFlags) {
      console.log('deploy/merge.sh flags: not checked, this build has no `lockstep merge` command yet')
      return
    }
    const mergeLine = readFileSync(join(DEPLOY, 'merge.sh'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('exec'))
      .join('\n')
    for (const f of flagsOf(mergeLine)) expect(mergeFlags.has(f), `lockstep merge ${f}`).toBe(true)
  })

  it('refuses a bad shard index or a missing setting, naming it', async () => {
    const env = { ...process.env, LOCKSTEP_OUT: tmp('lockstep-deploy-'), LOCKSTEP_RECIPE: 'r.json', LOCKSTEP_IMAGES: 'i', LOCKSTEP_MASKS: 'm', LOCKSTEP }
    const shard = (args: string[], e: NodeJS.ProcessEnv = env) => exec(join(DEPLOY, 'export-shard.sh'), args, { env: e })
    await expect(shard(['3', '3'])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('shard index 3 is not below the shard count 3 (indices are 0-based)'),
    })
    await expect(shard(['x', '3'])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining("INDEX and COUNT must be whole numbers, got 'x' and '3'"),
    })
    const { LOCKSTEP_OUT: _, ...noOut } = env
    await expect(shard(['0', '3'], noOut)).rejects.toMatchObject({ stderr: expect.stringContaining('set LOCKSTEP_OUT to the shared output folder') })
    await expect(
      exec('bash', [join(DEPLOY, 'slurm', 'export.sbatch')], {
        env: { ...env, SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '2' },
      }),
    ).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('the array must start at 0 (shard indices are 0-based), not 1'),
    })
  })
})

describe('deploy/ run as the schedulers run it (3 shards in parallel, on this machine)', () => {
  it('the Indexed Job’s pods and the Slurm array’s tasks write shards whose union is the single-machine export', async () => {
    const dir = tmp('lockstep-deploy-data-')
    const data = await makePairs(dir, 14, 72, 56)
    const recipe = writeJson(join(dir, 'recipe.json'), RECIPE)
    const shared = {
      LOCKSTEP_IMAGES: data.images,
      LOCKSTEP_MASKS: data.masks,
      LOCKSTEP_RECIPE: recipe,
      LOCKSTEP_EXPORT_ARGS: '--seed 4 --epochs 2 --batch-size 4 --format folders,npy,webdataset --wds-samples 8',
      LOCKSTEP,
      LOCKSTEP_HOME: ROOT,
    }
    const n = 3
    const k8sOut = tmp('lockstep-deploy-k8s-')
    const slurmOut = tmp('lockstep-deploy-slurm-')
    const single = tmp('lockstep-deploy-single-')
    const [c] = job.spec.template.spec.containers
    await Promise.all([
      // the pod's own command line, with the ConfigMap's variables (paths moved here) and the index Kubernetes sets
      ...Array.from({ length: n }, (_, i) =>
        exec(c.command[0], [...c.command.slice(1), ...c.args], {
          env: {
            ...process.env,
            ...config,
            ...shared,
            LOCKSTEP_OUT: k8sOut,
            LOCKSTEP_SHARDS: String(n),
            JOB_COMPLETION_INDEX: String(i),
            LOCKSTEP_WORKERS: '0',
          },
        }),
      ),
      ...Array.from({ length: n }, (_, i) =>
        exec('bash', [join(DEPLOY, 'slurm', 'export.sbatch')], {
          env: {
            ...process.env,
            ...shared,
            LOCKSTEP_OUT: slurmOut,
            SLURM_ARRAY_TASK_ID: String(i),
            SLURM_ARRAY_TASK_MIN: '0',
            SLURM_ARRAY_TASK_COUNT: String(n),
            SLURM_CPUS_PER_TASK: '1',
          },
        }),
      ),
      exec('node', [
        CLI,
        'export',
        '--images',
        data.images,
        '--masks',
        data.masks,
        '--recipe',
        recipe,
        '--out',
        single,
        ...shared.LOCKSTEP_EXPORT_ARGS.split(' '),
      ]),
    ])
    const whole = files(single)
    const lines = readFileSync(join(single, 'manifest.jsonl'), 'utf8').trim().split('\n')
    expect(lines).toHaveLength(28)
    for (const out of [k8sOut, slurmOut]) {
      const shards = readdirSync(join(out, 'shards')).sort()
      expect(shards).toEqual(['00000', '00001', '00002'])
      const union = new Map<string, Buffer>()
      const shardLines: string[] = []
      for (const s of shards) {
        const desc = JSON.parse(readFileSync(join(out, 'shards', s, 'export.json'), 'utf8'))
        expect(desc.options.shard).toEqual({ index: Number(s), count: n })
        const own = readFileSync(join(out, 'shards', s, 'manifest.jsonl'), 'utf8')
          .trim()
          .split('\n')
        expect(own.length, `shard ${s} is a real part, not empty or whole`).toBeGreaterThan(0)
        expect(own.length).toBeLessThan(28)
        shardLines.push(...own)
        for (const [rel, bytes] of files(join(out, 'shards', s))) {
          expect(union.has(rel), `${rel} written by two shards`).toBe(false)
          union.set(rel, bytes)
        }
      }
      expect(shardLines.sort()).toEqual([...lines].sort())
      expect([...union.keys()].sort()).toEqual([...whole.keys()].sort())
      for (const [rel, bytes] of union) expect(bytes.equals(whole.get(rel)!), rel).toBe(true)
    }
    if (!(await helpFlags('merge'))) {
      console.log('deploy/merge.sh: not run, this build has no `lockstep merge` command yet')
      return
    }
    await exec(join(DEPLOY, 'merge.sh'), [], { env: { ...process.env, LOCKSTEP, LOCKSTEP_OUT: k8sOut } })
    expect(readFileSync(join(k8sOut, 'manifest.jsonl'), 'utf8').trim().split('\n').sort()).toEqual([...lines].sort())
  }, 120_000)
})

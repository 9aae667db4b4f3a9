// `lockstep ls`: list a project's samples with the same filters as the app's grid.
import { resolve } from 'node:path'
import {
  REVIEW_STATUSES,
  SAMPLE_ERROR_KINDS,
  SORT_FIELDS,
  SPLITS,
  sampleFilterSchema,
  type SampleFilter,
  type SampleRow,
} from '../../../shared/contract/catalog'
import { LockstepError } from '../../../shared/errors'
import { Catalog } from '../../catalog/catalog'
import { intOption, lineSafe, parse, type Command } from '../command'

const NAME = 'ls'

const HELP = `usage: lockstep ls [--project DIR] [filters] [--sort FIELD] [--desc] [--limit N | --all] [--cursor C] [--json]

Lists the samples of a project (default: the current folder), one per line: id, key, split,
status, size, tags, problem.

filters (repeat or comma-separate values; a sample must match every filter given)
  --split S          ${SPLITS.join(' | ')}
  --status S         ${REVIEW_STATUSES.join(' | ')}
  --tag T            has tag T (repeatable: has all)      --not-tag T   has none of these tags
  --class N          mask contains class index N (all)    --no-class N  mask contains none of these
  --error K          ${SAMPLE_ERROR_KINDS.join(' | ')}
                     | any (any problem) | none (healthy)
  --path TEXT        key (relative path without extension) contains TEXT, case-insensitive
  --dataset ID       only dataset ID
paging
  --sort FIELD       ${SORT_FIELDS.join(' | ')} (default key)     --desc  descending
  --limit N          rows per page (default 100, at most 1000); --all prints every page
  --cursor C         continue after the page that printed this cursor
output
  --json             one JSON object: { total, rows: [...], nextCursor }`

function values<T extends string>(raw: string[] | undefined, allowed: readonly T[], flag: string): T[] | undefined {
  if (!raw) return undefined
  const items = raw
    .flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter(Boolean)
  for (const it of items) {
    if (!(allowed as readonly string[]).includes(it)) {
      throw new LockstepError('INVALID_INPUT', `lockstep ${NAME}: expected ${flag} to be one of ${allowed.join(', ')} but received ${JSON.stringify(it)}`)
    }
  }
  return items as T[]
}

function ints(raw: string[] | undefined, flag: string): number[] | undefined {
  if (!raw) return undefined
  return raw
    .flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => intOption(NAME, s, flag, 0, 0))
}

function line(r: SampleRow): string {
  const size = r.width && r.height ? `${r.width}x${r.height}` : '-'
  // one line per sample, tab-separated: a key, tag or message holding a newline, a tab or a bidi override is escaped
  const fields = [r.key, r.split, r.status, size, r.tags.length ? r.tags.join(',') : '-', r.error ? `${r.error.kind}: ${r.error.message}` : 'ok']
  return [String(r.id).padStart(7), ...fields.map(lineSafe)].join('\t')
}

export const lsCommand: Command = {
  name: NAME,
  help: HELP,
  async run(argv) {
    const { values: v } = parse(NAME, argv, {
      project: { type: 'string' },
      split: { type: 'string', multiple: true },
      status: { type: 'string', multiple: true },
      tag: { type: 'string', multiple: true },
      'not-tag': { type: 'string', multiple: true },
      class: { type: 'string', multiple: true },
      'no-class': { type: 'string', multiple: true },
      error: { type: 'string', multiple: true },
      path: { type: 'string' },
      dataset: { type: 'string' },
      sort: { type: 'string' },
      desc: { type: 'boolean' },
      limit: { type: 'string' },
      all: { type: 'boolean' },
      cursor: { type: 'string' },
      json: { type: 'boolean' },
    })
    const filter: SampleFilter = {
      split: values(v.split, SPLITS, '--split'),
      status: values(v.status, REVIEW_STATUSES, '--status'),
      tags: v.tag,
      notTags: v['not-tag'],
      classPresent: ints(v.class, '--class'),
      classAbsent: ints(v['no-class'], '--no-class'),
      error: values(v.error, [...SAMPLE_ERROR_KINDS, 'any', 'none'] as const, '--error'),
      pathContains: v.path,
      datasetId: v.dataset === undefined ? undefined : intOption(NAME, v.dataset, '--dataset', 0, 1),
    }
    for (const k of Object.keys(filter) as (keyof SampleFilter)[]) if (filter[k] === undefined) delete filter[k]
    const checked = sampleFilterSchema.safeParse(filter)
    if (!checked.success)
      throw new LockstepError('INVALID_INPUT', `lockstep ${NAME}: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`)
    const field = values(v.sort ? [v.sort] : undefined, SORT_FIELDS, '--sort')?.[0] ?? 'key'
    const limit = intOption(NAME, v.limit, '--limit', 100, 1)
    if (limit > 1000) throw new LockstepError('INVALID_INPUT', `lockstep ${NAME}: --limit is at most 1000 (use --all for everything)`)
    const catalog = Catalog.open(resolve(v.project ?? '.'))
    try {
      const sort = { field, dir: v.desc ? ('desc' as const) : ('asc' as const) }
      let page = catalog.query({ filter: checked.data, sort, cursor: v.cursor ?? null, limit, withTotal: true })
      const total = page.total
      const rows: SampleRow[] = []
      const emit = (rs: SampleRow[]) => {
        if (v.json) rows.push(...rs)
        else for (const r of rs) console.log(line(r))
      }
      emit(page.rows)
      let printed = page.rows.length
      while (v.all && page.nextCursor) {
        page = catalog.query({ filter: checked.data, sort, cursor: page.nextCursor, limit: 1000, withTotal: false })
        emit(page.rows)
        printed += page.rows.length
      }
      if (v.json) console.log(JSON.stringify({ total, rows, nextCursor: page.nextCursor }, null, 1))
      else {
        const more = page.nextCursor ? `; next page: lockstep ls ... --cursor ${page.nextCursor}` : ''
        console.error(`${printed} of ${total} sample(s)${more}`)
      }
      return 0
    } finally {
      catalog.close()
    }
  },
}

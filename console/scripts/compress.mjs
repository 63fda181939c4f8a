// Writes a .gz beside every built file over 1 KiB, which minqing-server sends
// to browsers that accept gzip (no compression at request time).
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync, constants } from 'node:zlib'

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) walk(p)
    else if (!p.endsWith('.gz') && statSync(p).size > 1024 && /\.(js|css|svg|html|json)$/.test(p)) {
      writeFileSync(p + '.gz', gzipSync(readFileSync(p), { level: constants.Z_BEST_COMPRESSION }))
    }
  }
}
walk(new URL('../dist', import.meta.url).pathname)

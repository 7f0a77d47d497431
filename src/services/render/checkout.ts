import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../../errors.js';
import type { ArtifactFolder } from '../../rendering/deployer.js';
import { JinjaError } from '../../rendering/jinja/values.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A project's checkout as the deployer's artifact folder: files by path relative to `dir`, read
 * as UTF-8 the way Jinja2's FileSystemLoader reads them (anything else fails there too).
 */
export function checkoutFolder(dir: string): ArtifactFolder {
  try {
    if (!statSync(join(dir, 'deployspec.yml')).isFile()) throw new Error('not a file');
  } catch {
    throw new UsageError(`There is no deployspec.yml in ${dir}: render and lint run in a project's checkout.`, 'Run it in the folder that holds deployspec.yml, or pass --dir <folder>.');
  }
  return {
    read(path) {
      const full = join(dir, ...path.split('/'));
      let bytes: Buffer;
      try {
        if (!statSync(full).isFile()) return undefined;
        bytes = readFileSync(full);
      } catch {
        return undefined;
      }
      try {
        return utf8.decode(bytes);
      } catch {
        throw new JinjaError(`${path} is not UTF-8 text (Jinja2 fails reading it).`, 'runtime', path);
      }
    },
  };
}

import assert from 'node:assert/strict';
import { stripVTControlCharacters } from 'node:util';
import { IO } from '../../src/io.js';
import { printTable } from '../../src/table.js';
import { testStreams } from './helpers/io.js';

describe('unit: tables for people and scripts', () => {
  const model = { columns: [{ header: 'Project' }, { header: 'Status' }], rows: [['web', { text: 'staging ahead', role: 'warn' as const }], ['api', 'in sync']] };
  it('given a pipe, then a header line and tab-separated rows, no colour, no borders', async () => {
    const s = testStreams();
    await printTable(new IO(s, { color: true }), model);
    assert.equal(s.out(), 'PROJECT\tSTATUS\nweb\tstaging ahead\napi\tin sync\n');
  });
  it('given a terminal, then aligned columns with bold headers and the role colours', async () => {
    const s = testStreams({ tty: true, columns: 100 });
    await printTable(new IO(s, { color: true }), model);
    const plain = stripVTControlCharacters(s.out());
    assert.match(plain, /^Project {2,}Status\nweb {2,}staging ahead\napi {2,}in sync\n$/);
    assert.ok(s.out().includes('\u001b[33mstaging ahead'), 'warn is yellow');
  });
});

import assert from 'node:assert/strict';
import { Chalk } from 'chalk';
import { formatEvents } from '../../../../src/commands/render/log-lines.js';
import { closeNames, describeEnding } from '../../../../src/services/logs/builds.js';
import { redactRemote, repoNameFromRemote } from '../../../../src/services/logs/project.js';

describe('logs tail: parts', () => {
  describe('formatEvents', () => {
    const f = { timestamps: false, json: false, build: 'web:1', color: new Chalk({ level: 0 }) };
    it('given CodeBuild messages ending in a newline (or not, or CRLF), then each prints as exactly one line', () => {
      const events = [{ message: 'a\n' }, { message: 'b' }, { message: 'c\r\n' }, { message: '\n' }, { message: 'multi\nline\n' }];
      assert.equal(formatEvents(events, f), 'a\nb\nc\n\nmulti\nline\n');
    });
    it('given --timestamps, then each line starts with its ISO time', () => {
      assert.equal(formatEvents([{ timestamp: Date.UTC(2024, 4, 1, 12), message: 'x\n' }], { ...f, timestamps: true }), '2024-05-01T12:00:00.000Z x\n');
    });
    it('given --json, then one object per line with build, timestamp and the message without its newline', () => {
      const text = formatEvents([{ timestamp: 0, message: 'say "hi"\n' }, { timestamp: 1, message: 'ü\t' }], { ...f, json: true });
      const lines = text.trimEnd().split('\n').map((l) => JSON.parse(l));
      assert.deepEqual(lines, [
        { build: 'web:1', timestamp: '1970-01-01T00:00:00.000Z', message: 'say "hi"' },
        { build: 'web:1', timestamp: '1970-01-01T00:00:00.001Z', message: 'ü\t' },
      ]);
    });
  });

  describe('closeNames', () => {
    it('given a typo, then the closest names come first, and far ones are left out', () => {
      assert.deepEqual(closeNames('wbe', ['web', 'web-api', 'worker', 'billing']), ['web']);
      assert.deepEqual(closeNames('web', ['web-api', 'webapp', 'worker']), ['webapp', 'web-api']);
      assert.deepEqual(closeNames('api', ['web-api', 'apis', 'payments']), ['apis', 'web-api']);
      assert.deepEqual(closeNames('zzz', ['web', 'api']), []);
    });
  });

  describe('repoNameFromRemote', () => {
    for (const [url, name] of [
      ['git@github.com:team/web.git', 'web'],
      ['https://github.com/team/web-api', 'web-api'],
      ['https://user:s3cret@github.com/team/web.git/', 'web'],
      ['ssh://git@bitbucket.org:7999/team/billing.git', 'billing'],
      ['https://git-codecommit.eu-west-1.amazonaws.com/v1/repos/worker', 'worker'],
      ['codecommit::eu-west-1://worker', 'worker'],
    ] as const) {
      it(`given ${url}, then the project is ${name}`, () => assert.equal(repoNameFromRemote(url), name));
    }
    it('given a remote with credentials, then messages show it without them', () => {
      assert.equal(redactRemote('https://user:s3cret@github.com/team/web.git'), 'https://github.com/team/web.git');
    });
  });

  describe('describeEnding', () => {
    it('given a TIMED_OUT build, then the status, the time it ran and the phase that timed out are named', () => {
      const e = describeEnding({
        id: 'web:1',
        buildStatus: 'TIMED_OUT',
        startTime: new Date(0),
        endTime: new Date(3_600_000),
        phases: [
          { phaseType: 'INSTALL', phaseStatus: 'SUCCEEDED' },
          { phaseType: 'BUILD', phaseStatus: 'TIMED_OUT', contexts: [{ statusCode: '', message: 'Build timed out after 60 minutes' }] },
        ],
      });
      assert.deepEqual(e, { ok: false, text: 'Build web:1 TIMED_OUT after 60m00s: phase BUILD TIMED_OUT (Build timed out after 60 minutes).' });
    });
  });
});

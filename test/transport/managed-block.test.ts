import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyManagedBlock } from '../../source/transport/managed-block.js';

const BEGIN = '# BEGIN pi-cluster-wizard hosts';
const END = '# END pi-cluster-wizard hosts';

describe('applyManagedBlock', () => {
  const table: Array<{ name: string; before: string; content: string | null; after: string }> = [
    {
      name: 'appends the block to an empty file',
      before: '',
      content: '10.0.0.1 pi1',
      after: `${BEGIN}\n10.0.0.1 pi1\n${END}\n`,
    },
    {
      name: 'appends after existing text, adding the missing final newline',
      before: '127.0.0.1 localhost',
      content: '10.0.0.1 pi1\n10.0.0.2 pi2\n',
      after: `127.0.0.1 localhost\n${BEGIN}\n10.0.0.1 pi1\n10.0.0.2 pi2\n${END}\n`,
    },
    {
      name: 'replaces only what is between the markers',
      before: `top\n${BEGIN}\nold\n${END}\nbottom\n`,
      content: 'new',
      after: `top\n${BEGIN}\nnew\n${END}\nbottom\n`,
    },
    {
      name: 'keeps a file without a final newline that way when the block is last',
      before: `top\n${BEGIN}\nold\n${END}`,
      content: 'new',
      after: `top\n${BEGIN}\nnew\n${END}`,
    },
    {
      name: 'removes the block with null content',
      before: `top\n${BEGIN}\nold\n${END}\nbottom\n`,
      content: null,
      after: 'top\nbottom\n',
    },
    {
      name: 'removing a block that is not there changes nothing',
      before: 'top\n',
      content: null,
      after: 'top\n',
    },
    {
      name: 'an empty block keeps both markers',
      before: '',
      content: '',
      after: `${BEGIN}\n${END}\n`,
    },
    {
      name: 'leaves other ids and lookalike lines alone',
      before: `# BEGIN pi-cluster-wizard other\nx\n# END pi-cluster-wizard other\n#BEGIN pi-cluster-wizard hosts\n`,
      content: 'y',
      after: `# BEGIN pi-cluster-wizard other\nx\n# END pi-cluster-wizard other\n#BEGIN pi-cluster-wizard hosts\n${BEGIN}\ny\n${END}\n`,
    },
    {
      name: 'keeps CRLF and odd bytes outside the block byte for byte',
      before: `a\r\n\tb  \n${BEGIN}\nold\n${END}\n$(c) \`d\`\n`,
      content: 'new',
      after: `a\r\n\tb  \n${BEGIN}\nnew\n${END}\n$(c) \`d\`\n`,
    },
    {
      name: 'hostile content is data',
      before: '',
      content: "x'; rm -rf / #\n$(reboot)\n`id`",
      after: `${BEGIN}\nx'; rm -rf / #\n$(reboot)\n\`id\`\n${END}\n`,
    },
  ];
  for (const { name, before, content, after } of table) {
    it(name, () => {
      const first = applyManagedBlock(before, 'hosts', content);
      assert.equal(first.text, after);
      assert.equal(first.changed, before !== after);
      // Idempotence: the same edit again changes nothing.
      const second = applyManagedBlock(first.text, 'hosts', content);
      assert.equal(second.text, first.text);
      assert.equal(second.changed, false);
    });
  }

  const refusals: Array<[string, string, string | null, RegExp]> = [
    ['a begin marker without its end', `${BEGIN}\nx\n`, 'y', /only one of the markers/],
    ['an end marker without its begin', `x\n${END}\n`, 'y', /only one of the markers/],
    ['markers in the wrong order', `${END}\n${BEGIN}\n`, 'y', /wrong order/],
    ['the block twice', `${BEGIN}\n${END}\n${BEGIN}\n${END}\n`, 'y', /more than once/],
    ['content holding its own marker', '', `a\n${END}\nb`, /own markers/],
  ];
  for (const [name, before, content, message] of refusals) {
    it(`refuses ${name} rather than guessing`, () => {
      assert.throws(() => applyManagedBlock(before, 'hosts', content), message);
    });
  }

  for (const id of ['', 'two words', 'a\nb', '-x', "x'y"]) {
    it(`refuses the id ${JSON.stringify(id)}`, () => {
      assert.throws(() => applyManagedBlock('', id, 'x'), /managed block id/);
    });
  }
});

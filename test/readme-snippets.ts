/** @file The README's TypeScript snippets (```ts blocks), each a module of its own. */

export interface Snippet {
  /** 1-based line of the opening fence in README.md. */
  line: number;
  code: string;
}

export function readmeSnippets(readme: string): Snippet[] {
  const snippets: Snippet[] = [];
  const lines = readme.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== '```ts') continue;
    const start = i;
    const body: string[] = [];
    while (++i < lines.length && lines[i].trim() !== '```') body.push(lines[i]);
    snippets.push({ line: start + 1, code: `${body.join('\n')}\nexport {};\n` });
  }
  return snippets;
}

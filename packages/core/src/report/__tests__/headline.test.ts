import { gpt2Tokenizer } from '@repscope/models';
import { headlineTokens, type Headline } from '../../plugin/headline';
import { headlineHtml, headlineValue } from '../headline-html';
import { renderReportHtml, type ReportInput } from '../render-html';
import { ReportBuilder } from '../report-builder';
import { readHeadline } from '../../testing/read-headline';

const input = (over: Partial<ReportInput> = {}): ReportInput => ({
  title: 'inversion · t',
  status: 'completed',
  config: {},
  summary: { status: 'completed', tokenAccuracy: 0.5, artifacts: [] },
  series: { series: new Map(), x: { title: 'step', categorical: false } },
  sections: [{ type: 'table', title: 'Trajectory', columns: ['step', ...Array.from({ length: 40 }, (_, i) => `pos ${i}`)], rows: [] }],
  env: {},
  ...over,
});

describe('the headline', () => {
  test('tokens show as text with their id (and why they are wrong) on hover; marks colour them', () => {
    const tokenizer = gpt2Tokenizer;
    const target = tokenizer.encode('The sky is blue.');
    const decoded = [...target.slice(0, 2), tokenizer.encode(' red')[0]!, ...target.slice(3)];
    const tokens = headlineTokens(decoded, tokenizer, target);
    expect(tokens.map((t) => t.mark)).toEqual(['right', 'right', 'wrong', 'right', 'right']);
    expect(tokens[2]).toEqual({ text: '␣red', id: decoded[2], mark: 'wrong', hint: `expected ␣is (id ${target[2]})` });
    const html = headlineHtml({ answer: '4 of 5 tokens recovered', tokens: [{ label: 'decoded', tokens }] });
    expect(html).toContain(`<span class="tok wrong" title="id ${decoded[2]} · expected ␣is (id ${target[2]})">␣red</span>`);
    expect(html).toContain(`<span class="tok right" title="id ${target[1]} · right">␣sky</span>`);
    expect(headlineTokens([1, 2, 3], undefined, [1, 2])[2]).toMatchObject({ mark: 'wrong', hint: 'past the end of the expected tokens' });
  });

  test('every part is rendered in order and escaped: answer, tokens with notes, texts, images, facts, caption', () => {
    const evil = '<img src=x onerror=alert(1)>';
    const html = headlineHtml({
      answer: `Recovered ${evil}`,
      verdict: 'good',
      tokens: [{ label: evil, tokens: [{ text: evil, id: 7, note: '12 tried' }] }],
      texts: [{ label: 'end', text: evil }],
      images: [{ path: 'grid "1".png', caption: evil }],
      imageWidth: 300,
      facts: [{ label: 'held-out loss', value: 4.85123, hint: evil }, { label: 'beats', value: true }, { label: 'first step', value: null }],
      caption: evil,
    });
    expect(html).not.toContain('<img src=x');
    // answer, row label, token, text, image alt and caption, fact hint, caption
    expect(html.split('&lt;img src=x onerror=alert(1)&gt;').length - 1).toBe(8);
    expect(html).toMatch(/^<section class="headline">\n<p class="answer good">Recovered /);
    expect(html).toContain('<span class="tok" title="id 7 · 12 tried">&lt;img src=x onerror=alert(1)&gt;<small>12 tried</small></span>');
    expect(html).toContain('<img src="grid &quot;1&quot;.png" width="300"');
    expect(html).toContain('<dt>held-out loss</dt><dd>4.851</dd>');
    expect(html).toContain('<dt>beats</dt><dd>yes</dd>');
    expect(html).toContain('<dt>first step</dt><dd>—</dd>');
    const order = ['class="answer', 'class="token-row"', 'class="text-row"', 'class="images"', 'class="facts"', 'class="caption"'].map((m) => html.indexOf(m));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(order.every((i) => i > 0)).toBe(true);
  });

  test('numbers read at a glance', () => {
    expect([0.037012, 16.6, 4.85, 1e-7, 3, 2500000.5, 2500000, NaN].map(headlineValue)).toEqual(['0.03701', '16.6', '4.85', '1.00e-7', '3', '2.50e+6', '2500000', 'NaN']);
  });

  test('ctx.report.setHeadline checks the headline at the call, naming the wrong part; a later call replaces it', () => {
    const report = new ReportBuilder('my-plugin');
    const call = (h: unknown) => {
      try {
        report.setHeadline(h as Headline);
        return 'ok';
      } catch (err) {
        return (err as Error).message;
      }
    };
    expect(call({ answer: '' })).toBe('plugin "my-plugin": ctx.report.setHeadline(headline): headline.answer must be a non-empty string (got "")');
    expect(call({ answer: 'a', verdict: 'great' })).toContain('headline.verdict must be "good" or "bad" or absent (got "great")');
    expect(call({ answer: 'a', tokens: [{ label: 'x', tokens: [{ text: 'a' }, { text: 'b', id: 1.5 }] }] })).toContain('headline.tokens[0].tokens[1].id must be an integer token id or absent (got number 1.5)');
    expect(call({ answer: 'a', tokens: [{ label: 'x', tokens: [{ text: 'a', mark: 'ok' }] }] })).toContain('headline.tokens[0].tokens[0].mark must be "right" or "wrong" or "changed" or absent');
    expect(call({ answer: 'a', facts: [{ label: 'x', value: { a: 1 } }] })).toContain('headline.facts[0].value must be a string, number, boolean or null (got an object)');
    expect(call({ answer: 'a', images: [{ path: '../grid.png' }] })).toContain('headline.images[0].path "../grid.png" must be relative to the run directory');
    // Nothing a report loads may come from elsewhere when it is opened.
    for (const p of ['https://example.com/x.png', 'data:image/png;base64,AAAA', '//host/x.png', '\\\\server\\share\\x.png', 'file:///etc/x.png']) {
      expect(call({ answer: 'a', images: [{ path: p }] })).toContain('must be relative to the run directory');
    }
    expect(call({ answer: 'a', texts: 'start' })).toContain('headline.texts must be an array or absent (got "start")');
    expect(report.headline).toBeUndefined();
    const first: Headline = { answer: 'first', facts: [{ label: 'x', value: 1 }] };
    expect(call(first)).toBe('ok');
    first.facts![0]!.value = 2;
    expect(report.headline!.facts![0]!.value).toBe(1);
    expect(call({ answer: 'second' })).toBe('ok');
    expect(report.headline).toEqual({ answer: 'second' });
  });
});

describe('the run report with a headline', () => {
  test('the headline comes first; the summary table follows, collapsed', async () => {
    const html = await renderReportHtml(input({ headline: { answer: '2 of 4 tokens recovered' } }));
    const h1 = html.indexOf('<h1>');
    const headline = html.indexOf('<section class="headline">');
    const summary = html.indexOf('<details class="summary-table"><summary><h2>Summary</h2></summary>');
    expect(h1).toBeGreaterThan(0);
    expect(headline).toBeGreaterThan(h1);
    expect(summary).toBeGreaterThan(headline);
  });

  test('plugin tests read it back as a reader sees it (@repscope/core/testing readHeadline)', async () => {
    const headline: Headline = {
      answer: "It's <done>",
      verdict: 'bad',
      tokens: [{ label: 'target', tokens: [{ text: 'a"b', id: 1 }, { text: '␣c', id: 2, mark: 'wrong', note: '3 tried', hint: 'expected ␣d' }] }],
      texts: [{ label: 'sample', text: 'x < y' }],
      images: [{ path: 'grid.png' }, { path: 'b.png', caption: 'b & c' }],
      facts: [{ label: 'loss', value: 0.123456 }],
      caption: 'how to read it',
    };
    expect(readHeadline(await renderReportHtml(input({ headline })))).toEqual({
      answer: "It's <done>",
      verdict: 'bad',
      tokens: { target: [{ text: 'a"b', title: 'id 1' }, { text: '␣c', mark: 'wrong', title: 'id 2 · expected ␣d · 3 tried', note: '3 tried' }] },
      texts: { sample: 'x < y' },
      images: [{ src: 'grid.png' }, { src: 'b.png', caption: 'b & c' }],
      facts: { loss: '0.1235' },
      caption: 'how to read it',
      beforeSummary: true,
    });
    expect(readHeadline(await renderReportHtml(input()))).toBeUndefined();
  });

  test('without one the summary is open, as before', async () => {
    const html = await renderReportHtml(input());
    expect(html).not.toContain('class="headline"');
    expect(html).toContain('<details class="summary-table" open><summary><h2>Summary</h2></summary>');
  });

  test('no table can widen the page: each scrolls in its own box; images and charts shrink to fit; no script runs', async () => {
    const html = await renderReportHtml(input({ headline: { answer: 'a' } }));
    const tables = html.match(/<table[ >]/g) ?? [];
    const boxed = html.match(/<div class="table-box"><table[ >]/g) ?? [];
    expect(tables.length).toBeGreaterThanOrEqual(2);
    // Nested summary tables sit inside the boxed summary table.
    expect(boxed).toHaveLength(2);
    expect(html).toMatch(/\.table-box\{max-width:100%;overflow-x:auto\}/);
    expect(html).toMatch(/img,svg\{max-width:100%;height:auto\}/);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="script-src 'none'; object-src 'none'; base-uri 'none'">`);
    expect(html).not.toContain('<script');
  });
});

import { ReportBuilder } from '../report-builder';

describe('ctx.report checks its arguments when called', () => {
  const report = new ReportBuilder('my-plugin');
  const call = (fn: () => void) => {
    try {
      fn();
      return 'ok';
    } catch (err) {
      return (err as Error).message;
    }
  };

  test('well-formed calls add sections', () => {
    const r = new ReportBuilder('ok-plugin');
    r.addText('Title', 'text', true);
    r.addTable('T', ['a', 'b'], [[1, 'x'], [null, true]], 'caption');
    r.addImage('I', 'a.png', undefined, 64);
    r.addImages('Is', [{ path: 'a.png' }, { path: 'b.png', caption: 'b' }]);
    r.addPlot('P', { mark: 'point' } as never);
    expect(r.sections.map((s) => s.type)).toEqual(['text', 'table', 'image', 'images', 'plot']);
  });

  test.each([
    [() => (report.addText as (t: string) => void)('only text'), 'plugin "my-plugin": ctx.report.addText(title, text, preformatted?): text must be a string (got undefined)'],
    [() => report.addText(3 as never, 'x'), 'ctx.report.addText(title, text, preformatted?): title must be a string (got number 3)'],
    [() => report.addText('t', 'x', 'yes' as never), 'preformatted must be true, false or absent (got "yes")'],
    [() => report.addTable('t', 'a,b' as never, []), 'ctx.report.addTable(title, columns, rows, caption?): columns must be an array of strings (got "a,b")'],
    [() => report.addTable('t', ['a'], [[1], [{}]] as never), 'rows row 1 must be an array of strings, numbers, booleans or null (got an array of 1)'],
    [() => report.addImage('t', 'a.png', undefined, -1), 'width must be a positive number of pixels or absent (got number -1)'],
    [() => report.addImages('t', ['a.png'] as never), 'items item 0 must be { path: string, caption?: string } (got "a.png")'],
    [() => report.addPlot('t', 'spec' as never), 'ctx.report.addPlot(title, spec): spec must be a vega-lite spec object (got "spec")'],
  ])('a wrong call fails at once with a message naming plugin, method and argument (%#)', (fn, message) => {
    expect(call(fn)).toContain(message);
  });
});

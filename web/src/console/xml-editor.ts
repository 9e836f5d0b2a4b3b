// The XML editor (CodeMirror 6), loaded only by the proxy editor. Problems
// from the server (bundle import: file and line) show as diagnostics on their
// line; the browser's own XML parser flags malformed XML as you type.
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { xml } from '@codemirror/lang-xml';
import { bracketMatching, defaultHighlightStyle, foldGutter, indentOnInput, syntaxHighlighting } from '@codemirror/language';
import { linter, lintGutter, setDiagnostics, type Diagnostic } from '@codemirror/lint';
import { EditorState } from '@codemirror/state';
import { xmlErrors } from './xml-check.js';
import { drawSelection, EditorView, highlightActiveLine, highlightActiveLineGutter, keymap, lineNumbers } from '@codemirror/view';

export interface LineProblem {
  line?: number;
  message: string;
}

export interface XmlEditor {
  view: EditorView;
  showProblems: (problems: LineProblem[]) => void;
  destroy: () => void;
}

function wellFormed(view: EditorView): Diagnostic[] {
  const length = view.state.doc.length;
  return xmlErrors(view.state.doc.toString()).map((error) => ({ from: Math.min(error.from, length), to: Math.min(error.to, length), severity: 'error', message: error.message }));
}

export function createXmlEditor(parent: HTMLElement, text: string, label: string, onChange: (text: string) => void): XmlEditor {
  const nonce = document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content ?? '';
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: text,
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        foldGutter(),
        history(),
        drawSelection(),
        indentOnInput(),
        bracketMatching(),
        highlightActiveLine(),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        // Tab indents; Escape then Tab leaves the editor (CodeMirror's keyboard escape hatch).
        keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
        xml(),
        lintGutter(),
        linter(wellFormed, { delay: 400 }),
        EditorView.cspNonce.of(nonce),
        EditorView.lineWrapping,
        EditorView.contentAttributes.of({ 'aria-label': label }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) onChange(update.state.doc.toString());
        }),
      ],
    }),
  });
  // A scrollable region that keyboard users can reach (axe: scrollable-region-focusable).
  view.scrollDOM.tabIndex = 0;
  view.scrollDOM.setAttribute('aria-label', `${label}, scrollable`);
  return {
    view,
    showProblems(problems) {
      const doc = view.state.doc;
      view.dispatch(
        setDiagnostics(
          view.state,
          problems.map((problem) => {
            const line = doc.line(Math.max(1, Math.min(problem.line ?? 1, doc.lines)));
            return { from: line.from, to: line.to, severity: 'error', message: problem.message };
          }),
        ),
      );
    },
    destroy: () => view.destroy(),
  };
}

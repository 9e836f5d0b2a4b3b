// The code editor (CodeMirror 6) shared by the XML and JSON editors, loaded
// only where one is used: line numbers, folding, history, bracket matching,
// the language's checks as you type (`check`) and problems from the server
// shown on their line.
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { bracketMatching, defaultHighlightStyle, foldGutter, indentOnInput, syntaxHighlighting } from '@codemirror/language';
import { linter, lintGutter, setDiagnostics, type Diagnostic } from '@codemirror/lint';
import { EditorState, type Extension } from '@codemirror/state';
import { drawSelection, EditorView, highlightActiveLine, highlightActiveLineGutter, keymap, lineNumbers } from '@codemirror/view';

export interface LineProblem {
  line?: number;
  message: string;
}

export interface CodeEditor {
  view: EditorView;
  showProblems: (problems: LineProblem[]) => void;
  destroy: () => void;
}

/** A problem in the text as the language's own check reports it: character offsets and a message. */
export interface TextProblem {
  from: number;
  to: number;
  message: string;
}

export interface CodeEditorOptions {
  /** The language's extensions (syntax, indentation); none for plain text. */
  language?: Extension;
  /** Checks the whole text as you type. */
  check?: (text: string) => TextProblem[];
  /** Shown to be read, not edited: selectable and scrollable, no change accepted. */
  readOnly?: boolean;
}

export function createCodeEditor(parent: HTMLElement, text: string, label: string, onChange: (text: string) => void, options: CodeEditorOptions = {}): CodeEditor {
  const nonce = document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content ?? '';
  const check = options.check;
  const lint = (view: EditorView): Diagnostic[] => {
    const length = view.state.doc.length;
    return (check?.(view.state.doc.toString()) ?? []).map((problem) => ({ from: Math.min(problem.from, length), to: Math.min(problem.to, length), severity: 'error', message: problem.message }));
  };
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
        options.language ?? [],
        lintGutter(),
        check ? linter(lint, { delay: 400 }) : [],
        EditorView.cspNonce.of(nonce),
        EditorView.lineWrapping,
        EditorState.readOnly.of(options.readOnly ?? false),
        EditorView.contentAttributes.of({ 'aria-label': label, ...(options.readOnly ? { 'aria-readonly': 'true' } : {}) }),
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

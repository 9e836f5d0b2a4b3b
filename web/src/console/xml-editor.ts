// The XML editor, loaded only by the proxy editor: the code editor with
// CodeMirror's XML language. Problems from the server (bundle import: file
// and line) show as diagnostics on their line; the browser's own XML parser
// flags malformed XML as you type.
import { xml } from '@codemirror/lang-xml';
import { createCodeEditor, type CodeEditor } from './code-editor.js';
import { xmlErrors } from './xml-check.js';

export type { LineProblem } from './code-editor.js';
export type XmlEditor = CodeEditor;

export function createXmlEditor(parent: HTMLElement, text: string, label: string, onChange: (text: string) => void, readOnly = false): XmlEditor {
  return createCodeEditor(parent, text, label, onChange, { language: xml(), check: xmlErrors, readOnly });
}

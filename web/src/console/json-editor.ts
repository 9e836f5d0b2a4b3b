// The JSON editor (a formula's JSON), loaded only where it is used: the code
// editor with the browser's own JSON parser flagging malformed JSON as you
// type, at the position it names.
import { createCodeEditor, type CodeEditor, type TextProblem } from './code-editor.js';

export function jsonErrors(text: string): TextProblem[] {
  try {
    JSON.parse(text);
    return [];
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const at = /at position (\d+)/.exec(message);
    const from = at ? Number(at[1]) : Math.max(0, text.length - 1);
    return [{ from, to: from + 1, message: message.replace(/^JSON\.parse: /, '') }];
  }
}

export function createJsonEditor(parent: HTMLElement, text: string, label: string, onChange: (text: string) => void): CodeEditor {
  return createCodeEditor(parent, text, label, onChange, { check: jsonErrors });
}

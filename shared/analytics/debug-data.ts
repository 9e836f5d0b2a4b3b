// Apigee's debug data shape, what a trace session captures for one call and
// the console's Trace page shows: `{completed, point: [{id, results}]}`.
// Types only, with no import, so that the console (built without Node's
// types) reads the same declaration the gateway host writes.

export interface DebugProperty {
  name: string;
  value: string;
}

export type DebugAccess = { Get: DebugProperty } | { Set: DebugProperty & { success: boolean } };

export interface DebugResult {
  ActionResult: 'DebugInfo' | 'RequestMessage' | 'ResponseMessage' | 'ErrorMessage' | 'VariableAccess';
  timestamp: string;
  properties?: { property: DebugProperty[] };
  accessList?: DebugAccess[];
  headers?: DebugProperty[];
  verb?: string;
  uRI?: string;
  statusCode?: string;
  reasonPhrase?: string;
  content?: string;
}

export interface DebugPoint {
  id: 'StateChange' | 'FlowInfo' | 'Condition' | 'Execution' | 'Error';
  results: DebugResult[];
}

export interface TraceTransaction {
  completed: boolean;
  point: DebugPoint[];
}

// Types of eslint.layers.js, for the test that exercises it.
export declare const LAYERS: Record<string, string[]>;
export declare function layerRules(root?: string): object[];

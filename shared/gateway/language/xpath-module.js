// The xpath package, re-exported untyped: its own typings pull the DOM library
// into the whole program (and with it the browser's fetch types). The few
// functions Tollgate uses are typed in xpath-module.d.ts.
export { default } from 'xpath';

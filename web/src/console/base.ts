/** Where the console is served; every console link starts here. */
export const BASE = '/console';

// Build-time module substitutions for the executable: bare specifier → file (relative to the repo).
// For a dependency whose Node implementation cannot run on the box, e.g. a native addon that has a
// bun:ffi replacement: { epoll: "hw/gpio/epoll-ffi.ts" } makes every `require("epoll")` (onoff's
// included) load the replacement. The native-addon check runs after substitution. Empty until a module
// needs one; the module that adds an entry should also test its replacement.
export const BUILD_ALIASES: Record<string, string> = {};

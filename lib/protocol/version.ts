/** Bumped whenever a socket event or worker message changes shape. Devices on another version are refused. */
export const PROTOCOL_VERSION = 1

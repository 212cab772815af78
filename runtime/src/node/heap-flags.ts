/**
 * V8 flags for a Node process that hosts an engine moving files (wschat; its bin's shebang
 * carries them, and cli/test checks that it does).
 *
 * Why: a file chunk's buffers (the socket read, the opened body, the sealed frame, ~48 KiB each)
 * live outside V8's heap and are freed only when a scavenge finds their small wrappers dead.
 * Scavenges come every time the young generation fills with small objects, and V8 grows it to
 * 16 MiB per semi-space under a steady allocation rate: hundreds of chunks then pass between
 * two scavenges, and 50-60 MiB of dead chunk buffers wait in the resident set (peak RSS growth
 * 86 MiB for a 256 MB file). With 1 MiB semi-spaces the same transfer peaks at 25 MiB on each
 * side and runs faster (spec/DESIGN.md "What bounds a transfer's memory").
 */
export const ENGINE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];

// Command lines as the sorted-set transcripts write them (test/store/zsets.test.ts,
// test/service/zsets.test.ts): one line, its words split at spaces, bytes written as escapes.

/** A command line's words: split on spaces; "\s" is a space, "\xNN" a byte, "\e" the empty word. */
export function words(line: string): Buffer[] {
  return line.split(' ').map((w) =>
    Buffer.from(
      w
        .replace(/\\s/g, ' ')
        .replace(/\\x([0-9a-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
        .replace(/\\e/g, ''),
      'latin1',
    ),
  );
}

package dev.apexpulse.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The encoder of Fossil SCM's delta format, which Centrifugo also sends to browsers: a delta turns a
 * source into a target with the target's length, then copy commands ({@code count@offset,}: bytes of the
 * source) and insert commands ({@code count:bytes}: bytes carried in the delta), then a checksum of the
 * target ({@code checksum;}). Numbers are written in Fossil's 64-digit alphabet, most significant first.
 *
 * <p>The source is indexed in blocks of {@value #WINDOW} bytes by a rolling hash; the target is scanned
 * with the same hash, and a block that matches is grown forwards and backwards into the longest common
 * run. A copy is used only when it is shorter than the literal it saves.
 *
 * <p>One addition to Fossil's encoder: copies start and end on UTF-8 character boundaries of the target,
 * so every insert holds whole characters and the delta of UTF-8 text is UTF-8 text itself (it travels
 * as a JSON string). Any Fossil decoder applies it.
 */
public final class FossilDelta {
  private static final int WINDOW = 16;
  /** Candidate blocks tried per target position: bounds the work on sources with many equal blocks. */
  private static final int MAX_CANDIDATES = 250;
  private static final byte[] DIGITS =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~".getBytes(StandardCharsets.US_ASCII);

  private FossilDelta() {}

  /** The delta from one text to another, as text: both are taken as UTF-8. */
  public static String encode(String source, String target) {
    return new String(encode(source.getBytes(StandardCharsets.UTF_8), target.getBytes(StandardCharsets.UTF_8)),
        StandardCharsets.UTF_8);
  }

  /** The delta that turns {@code source} into {@code target}. */
  public static byte[] encode(byte[] source, byte[] target) {
    Out out = new Out(target.length / 8 + 32);
    out.number(target.length).put('\n');
    int base = 0;
    if (source.length > WINDOW) {
      SourceIndex index = new SourceIndex(source);
      RollingHash hash = new RollingHash();
      while (base + WINDOW < target.length) {
        int advanced = copyNext(source, target, base, index, hash, out);
        if (advanced < 0) {
          break; // no match before the end: the rest is one insert
        }
        base = advanced;
      }
    }
    if (base < target.length) {
      out.insert(target, base, target.length);
    }
    return out.number(Integer.toUnsignedLong(checksum(target))).put(';').bytes();
  }

  /**
   * Looks for the best copy at or after {@code base}, writes the insert before it and the copy, and
   * answers where the target continues; -1 when nothing from {@code base} on is worth copying. Unlike
   * Fossil's encoder it looks one window further than the first match and keeps the copy that reaches
   * furthest: in repetitive text (rows of a table) the first match is often a similar row, not the same.
   */
  private static int copyNext(byte[] source, byte[] target, int base, SourceIndex index, RollingHash hash, Out out) {
    hash.init(target, base);
    int bestCount = 0;
    int bestOffset = 0;
    int bestStart = 0;
    int lookUntil = Integer.MAX_VALUE;
    for (int i = 0; ; i++) {
      int tries = 0;
      for (int block = index.first(hash.value()); block >= 0 && tries < MAX_CANDIDATES; block = index.next(block), tries++) {
        int src = block * WINDOW;
        int tgt = base + i;
        int forward = 0;
        while (src + forward < source.length && tgt + forward < target.length && source[src + forward] == target[tgt + forward]) {
          forward++;
        }
        int backward = 0;
        while (backward < src && backward < i && source[src - backward - 1] == target[tgt - backward - 1]) {
          backward++;
        }
        int start = tgt - backward;
        int end = tgt + forward;
        // whole characters only: a copy must not begin or end inside a UTF-8 sequence of the target
        while (start < end && continuation(target[start])) {
          start++;
        }
        while (end > start && end < target.length && continuation(target[end])) {
          end--;
        }
        int count = end - start;
        int offset = src - (tgt - start);
        int cost = digits(start - base) + digits(count) + digits(offset) + 3;
        if (count >= cost && (end > bestStart + bestCount || bestCount == 0)) {
          bestCount = count;
          bestOffset = offset;
          bestStart = start;
        }
      }
      if (bestCount > 0 && lookUntil == Integer.MAX_VALUE) {
        lookUntil = i + WINDOW;
      }
      boolean atEnd = base + i + WINDOW >= target.length;
      if (bestCount > 0 && (i >= lookUntil || atEnd || base + i >= bestStart + bestCount)) {
        if (bestStart > base) {
          out.insert(target, base, bestStart);
        }
        out.number(bestCount).put('@').number(bestOffset).put(',');
        return bestStart + bestCount;
      }
      if (atEnd) {
        return -1;
      }
      hash.roll(target[base + i], target[base + i + WINDOW]);
    }
  }

  private static boolean continuation(byte b) {
    return (b & 0xC0) == 0x80;
  }

  /** How many digits {@link Out#number} writes for {@code v}. */
  private static int digits(long v) {
    int n = 1;
    for (long x = v >>> 6; x > 0; x >>>= 6) {
      n++;
    }
    return n;
  }

  /** Fossil's checksum: the sum of the target read as big-endian 32-bit words, the last one zero-padded. */
  static int checksum(byte[] b) {
    int sum = 0;
    int i = 0;
    for (; i + 4 <= b.length; i += 4) {
      sum += (b[i] & 0xFF) << 24 | (b[i + 1] & 0xFF) << 16 | (b[i + 2] & 0xFF) << 8 | (b[i + 3] & 0xFF);
    }
    int shift = 24;
    for (; i < b.length; i++, shift -= 8) {
      sum += (b[i] & 0xFF) << shift;
    }
    return sum;
  }

  /** The source's blocks by hash: a head per bucket and a chain through the blocks of equal buckets. */
  private static final class SourceIndex {
    private final int[] head;
    private final int[] chain;

    SourceIndex(byte[] source) {
      int blocks = source.length / WINDOW;
      head = new int[blocks];
      chain = new int[blocks];
      Arrays.fill(head, -1);
      RollingHash h = new RollingHash();
      for (int block = 0; block < blocks; block++) {
        h.init(source, block * WINDOW);
        int bucket = bucket(h.value());
        chain[block] = head[bucket];
        head[bucket] = block;
      }
    }

    private int bucket(int hash) {
      return Integer.remainderUnsigned(hash, head.length);
    }

    int first(int hash) {
      return head[bucket(hash)];
    }

    int next(int block) {
      return chain[block];
    }
  }

  /** An Adler-like hash of the last {@value #WINDOW} bytes that moves one byte at a time. */
  private static final class RollingHash {
    private int a;
    private int b;

    void init(byte[] z, int at) {
      a = 0;
      b = 0;
      for (int i = 0; i < WINDOW; i++) {
        int x = z[at + i] & 0xFF;
        a += x;
        b += (WINDOW - i) * x;
      }
    }

    void roll(byte leaving, byte entering) {
      int old = leaving & 0xFF;
      a += (entering & 0xFF) - old;
      b += a - WINDOW * old;
    }

    int value() {
      return (a & 0xFFFF) | (b & 0xFFFF) << 16;
    }
  }

  /** A growing byte buffer with Fossil's number notation. */
  private static final class Out {
    private byte[] buf;
    private int size;

    Out(int capacity) {
      buf = new byte[capacity];
    }

    Out put(char c) {
      ensure(1);
      buf[size++] = (byte) c;
      return this;
    }

    Out number(long v) {
      int n = digits(v);
      ensure(n);
      long x = v;
      for (int i = size + n - 1; i >= size; i--) {
        buf[i] = DIGITS[(int) (x & 63)];
        x >>>= 6;
      }
      size += n;
      return this;
    }

    void insert(byte[] from, int start, int end) {
      number(end - start).put(':');
      ensure(end - start);
      System.arraycopy(from, start, buf, size, end - start);
      size += end - start;
    }

    private void ensure(int more) {
      if (size + more > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
      }
    }

    byte[] bytes() {
      return Arrays.copyOf(buf, size);
    }
  }
}

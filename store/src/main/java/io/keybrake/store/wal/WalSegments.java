package io.keybrake.store.wal;

import java.io.FileDescriptor;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code WalSegments} is the write-ahead file on disk: a series of segment files {@code wal-<first
 * local seq>.log}, each an 8-byte magic header followed by {@link WalCodec} records whose local
 * seqs run on without a gap across segments. {@link #recover} scans them at open: a torn record at
 * the end of the newest segment (a write that a crash interrupted before it was forced, so never
 * acknowledged) is cut off; damage anywhere else fails the open rather than lose an acknowledged
 * entry. Thread-safe for one writer (the caller serialises writes and rotation) and one reader.
 *
 * <p>The newest segment is written through a {@link RandomAccessFile} and forced with {@link
 * FileDescriptor#sync()}, not through a {@link FileChannel}: the JDK closes a {@code FileChannel}
 * when a thread doing I/O on it is interrupted ({@code ClosedByInterruptException}), and the
 * appending threads are the callers' (request threads, which a server or a client's cancellation
 * may interrupt). One interrupted append would otherwise close the file under every later one. Here
 * an interrupt does not stop an append or a force; the caller's interrupt status is left set.
 */
final class WalSegments {
  static final byte[] MAGIC = "KBWAL\0\0\1".getBytes(StandardCharsets.ISO_8859_1);
  private static final Logger LOG = LoggerFactory.getLogger(WalSegments.class);

  private final Path dir;
  private final NavigableMap<Long, Path> segments = new ConcurrentSkipListMap<>();

  /**
   * The newest segment, open for appending; its file pointer is the end of the last record. Not a
   * {@code FileChannel}: see the class comment.
   */
  private RandomAccessFile writer;

  private volatile long writerFirstSeq;
  private long lastSeq;

  private WalSegments(Path dir) {
    this.dir = dir;
  }

  /**
   * Scans the segments in {@code dir}, cuts a torn tail and opens the newest for appending (a new
   * one when there is none).
   *
   * @param drained the drain checkpoint: local seqs are never reused below it
   */
  static WalSegments recover(Path dir, long drained) throws IOException {
    WalSegments s = new WalSegments(dir);
    try (Stream<Path> files = Files.list(dir)) {
      files
          .filter(p -> p.getFileName().toString().matches("wal-\\d{20}\\.log"))
          .forEach(p -> s.segments.put(firstSeq(p), p));
    }
    long last = -1;
    for (Map.Entry<Long, Path> seg : s.segments.entrySet()) {
      boolean newest = seg.getKey().equals(s.segments.lastKey());
      if (last >= 0 && seg.getKey() != last + 1) {
        throw new IOException(
            "write-ahead segment " + seg.getValue() + " does not follow record " + last);
      }
      last = scan(seg.getValue(), seg.getKey(), newest);
    }
    s.lastSeq = Math.max(drained, last);
    if (s.segments.isEmpty()) {
      s.startSegment(s.lastSeq + 1);
    } else {
      Map.Entry<Long, Path> newest = s.segments.lastEntry();
      s.writer = new RandomAccessFile(newest.getValue().toFile(), "rw");
      s.writer.seek(s.writer.length());
      s.writerFirstSeq = newest.getKey();
    }
    return s;
  }

  /**
   * Checks every record of one segment; returns the last local seq in it ({@code firstSeq - 1} when
   * it has none).
   */
  private static long scan(Path file, long firstSeq, boolean newest) throws IOException {
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      long size = ch.size();
      ByteBuffer magic = ByteBuffer.allocate(MAGIC.length);
      readFully(ch, magic, 0);
      if (magic.hasRemaining() || !magic.flip().equals(ByteBuffer.wrap(MAGIC))) {
        if (!newest || size > MAGIC.length) {
          throw new IOException("write-ahead segment " + file + " has no valid header");
        }
        LOG.warn("write-ahead segment {}: header was torn by a crash; rewritten", file);
        ch.truncate(0);
        ch.write(ByteBuffer.wrap(MAGIC), 0);
        ch.force(true);
        return firstSeq - 1;
      }
      long pos = MAGIC.length;
      long expected = firstSeq;
      while (pos < size) {
        ByteBuffer payload = readRecord(ch, pos, size);
        if (payload == null || WalCodec.seq(payload) != expected) {
          if (!newest) {
            throw new IOException(
                "write-ahead segment " + file + " is damaged at byte " + pos + " (not its end)");
          }
          LOG.warn(
              "write-ahead segment {}: cut a torn record at byte {} ({} bytes never acknowledged)",
              file,
              pos,
              size - pos);
          ch.truncate(pos);
          ch.force(true);
          break;
        }
        pos += WalCodec.FRAME_HEADER + payload.remaining();
        expected++;
      }
      return expected - 1;
    }
  }

  /**
   * The CRC-checked payload of the record at {@code pos}, or null when there is no whole, valid
   * record there.
   */
  static ByteBuffer readRecord(FileChannel ch, long pos, long size) throws IOException {
    if (size - pos < WalCodec.FRAME_HEADER) {
      return null;
    }
    ByteBuffer head = ByteBuffer.allocate(WalCodec.FRAME_HEADER);
    readFully(ch, head, pos);
    int length = head.getInt(0);
    int crc = head.getInt(4);
    if (length < 9
        || length > WalCodec.MAX_PAYLOAD
        || size - pos - WalCodec.FRAME_HEADER < length) {
      return null;
    }
    ByteBuffer payload = ByteBuffer.allocate(length);
    readFully(ch, payload, pos + WalCodec.FRAME_HEADER);
    payload.flip();
    return WalCodec.crcMatches(payload, crc) ? payload : null;
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
    while (buf.hasRemaining()) {
      int n = ch.read(buf, pos + buf.position());
      if (n < 0) {
        return;
      }
    }
  }

  /** The last local seq written (or, on an empty file, the last one ever used). */
  long lastSeq() {
    return lastSeq;
  }

  /** Appends one framed record for {@code lastSeq() + 1}; undoes a partial write on failure. */
  long append(byte[] entryBytes) throws IOException {
    long seq = lastSeq + 1;
    ByteBuffer frame = WalCodec.frame(seq, entryBytes);
    long start = writer.getFilePointer();
    try {
      if (frame.hasArray()) {
        writer.write(frame.array(), frame.arrayOffset() + frame.position(), frame.remaining());
      } else {
        byte[] bytes = new byte[frame.remaining()];
        frame.get(bytes);
        writer.write(bytes);
      }
    } catch (IOException e) {
      writer.setLength(start);
      writer.seek(start);
      throw e;
    }
    lastSeq = seq;
    return seq;
  }

  /**
   * The file descriptor of the newest segment, to force ({@link FileDescriptor#sync()}, which an
   * interrupt does not stop). Valid until the next {@link #rotate}.
   */
  FileDescriptor writerFd() throws IOException {
    return writer.getFD();
  }

  /** Whether the newest segment has reached {@code bytes}. */
  boolean full(long bytes) throws IOException {
    return writer.getFilePointer() >= bytes;
  }

  /** Forces and closes the newest segment and starts a new one after it. */
  void rotate() throws IOException {
    writer.getFD().sync();
    writer.close();
    startSegment(lastSeq + 1);
  }

  private void startSegment(long firstSeq) throws IOException {
    Path file = dir.resolve(String.format("wal-%020d.log", firstSeq));
    Files.createFile(file); // refuses an existing file, as CREATE_NEW
    RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw");
    try {
      raf.write(MAGIC);
      raf.getFD().sync();
      DrainCheckpoint.forceDirectory(dir);
    } catch (IOException | RuntimeException e) {
      raf.close();
      throw e;
    }
    segments.put(firstSeq, file);
    writer = raf;
    writerFirstSeq = firstSeq;
  }

  /** The segments by first local seq (live view). */
  NavigableMap<Long, Path> segments() {
    return segments;
  }

  /** Deletes every segment whose records are all at or below {@code drained}. */
  void deleteDrained(long drained) throws IOException {
    while (true) {
      Map.Entry<Long, Path> first = segments.firstEntry();
      Long next = segments.higherKey(first.getKey());
      if (next == null || next - 1 > drained || first.getKey() == writerFirstSeq) {
        return;
      }
      Files.deleteIfExists(first.getValue());
      segments.remove(first.getKey());
    }
  }

  void close() throws IOException {
    writer.getFD().sync();
    writer.close();
  }

  private static long firstSeq(Path p) {
    String n = p.getFileName().toString();
    return Long.parseLong(n.substring(4, 24));
  }
}

package io.keybrake.store.wal;

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
 * <p>The newest segment is written through a {@link RandomAccessFile}, not through a {@link
 * FileChannel}: the JDK closes a {@code FileChannel} when a thread doing I/O on it is interrupted
 * ({@code ClosedByInterruptException}), and the appending threads are the callers' (request
 * threads, which a server or a client's cancellation may interrupt). One interrupted append would
 * otherwise close the file under every later one. It is forced through a channel of its own, used
 * for nothing else, which an interrupted force replaces ({@link #force}). Here an interrupt does
 * not stop an append or a force; the caller's interrupt status is left set.
 *
 * <p>Segments are preallocated: a background thread writes the next segment's file in full (its
 * header and zeros to the segment size) and forces it before it is needed, so an append overwrites
 * bytes the file already has, and its force is a {@code fdatasync} that writes the record's pages
 * alone. An append that grows the file changes its size, so each force must also commit the file
 * system's journal, which waits behind every other process's pending writes on the disk (measured
 * here: p99 of a force while another process writes 30-34 ms growing the file, 16-18 ms
 * preallocated). A closed segment is cut to its records; recovery cuts the zeros after the last
 * record of the newest. The segment left by a restart is not preallocated: it is closed as soon as
 * a preallocated one is ready.
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

  /** Forces the newest segment's data; replaced when an interrupt closes it. */
  private FileChannel forcer;

  /** Whether the newest segment was preallocated (its length is not the end of its records). */
  private boolean writerPreallocated;

  private volatile long writerFirstSeq;
  private long lastSeq;

  /** The file a segment is prepared in before it becomes the newest. */
  private final Path preparedFile;

  /** Prepares the next segment, one at a time. */
  private final java.util.concurrent.ExecutorService preparer;

  /** The size a prepared segment is written to. */
  private final long preparedBytes;

  /** Set by the preparer once {@link #preparedFile} is whole and forced. */
  private volatile boolean preparedReady;

  private volatile boolean closing;

  private WalSegments(Path dir, long segmentBytes) {
    this.dir = dir;
    this.preparedFile = dir.resolve(PREPARED);
    this.preparedBytes = segmentBytes + PREALLOCATION_SLACK;
    this.preparer =
        java.util.concurrent.Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "keybrake-audit-wal-prepare");
              t.setDaemon(true);
              return t;
            });
  }

  /** The name of the segment being prepared (not a segment until it is renamed). */
  static final String PREPARED = "next-segment.prepared";

  /** Room past the segment size for the record that crosses it. */
  static final long PREALLOCATION_SLACK = 64 * 1024;

  /** Zeros written per step of a preparation, each forced before the next. */
  private static final int PREPARE_CHUNK = 1 << 20;

  /**
   * Scans the segments in {@code dir}, cuts a torn tail and opens the newest for appending (a new
   * one when there is none).
   *
   * @param drained the drain checkpoint: local seqs are never reused below it
   */
  static WalSegments recover(Path dir, long drained, long segmentBytes) throws IOException {
    WalSegments s = new WalSegments(dir, segmentBytes);
    Files.deleteIfExists(s.preparedFile); // half-prepared, or prepared and never used: made again
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
      s.forcer = FileChannel.open(newest.getValue(), StandardOpenOption.WRITE);
      s.writerFirstSeq = newest.getKey();
    }
    s.prepareNext();
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
          if (payload == null && zeroHeader(ch, pos, size)) {
            LOG.debug(
                "write-ahead segment {}: cut its unused preallocated tail at byte {}", file, pos);
          } else {
            LOG.warn(
                "write-ahead segment {}: cut a torn record at byte {} ({} bytes never acknowledged)",
                file,
                pos,
                size - pos);
          }
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

  /** Whether the bytes where a frame header would start at {@code pos} are all zero. */
  private static boolean zeroHeader(FileChannel ch, long pos, long size) throws IOException {
    ByteBuffer head = ByteBuffer.allocate((int) Math.min(WalCodec.FRAME_HEADER, size - pos));
    readFully(ch, head, pos);
    for (int i = 0; i < head.position(); i++) {
      if (head.get(i) != 0) {
        return false;
      }
    }
    return true;
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
   * Forces the newest segment's records to disk ({@code fdatasync}: its data, and its size when it
   * grew). An interrupt of the calling thread, which closes the channel, does not fail it: the
   * force is retried on a fresh channel and the interrupt status restored. The caller serialises
   * forces with {@link #rotate} and {@link #close}; appends may run meanwhile.
   */
  void force() throws IOException {
    boolean interrupted = Thread.interrupted();
    try {
      while (true) {
        try {
          forcer.force(false);
          return;
        } catch (java.nio.channels.ClosedChannelException e) { // by an interrupt
          interrupted |= Thread.interrupted();
          forcer = FileChannel.open(segments.get(writerFirstSeq), StandardOpenOption.WRITE);
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Whether the newest segment has reached {@code bytes}, or was not preallocated and a
   * preallocated one is ready to follow it.
   */
  boolean full(long bytes) throws IOException {
    return writer.getFilePointer() >= bytes || (!writerPreallocated && preparedReady);
  }

  /** Forces and closes the newest segment (cut to its records) and starts a new one after it. */
  void rotate() throws IOException {
    closeWriter();
    startSegment(lastSeq + 1);
  }

  private void closeWriter() throws IOException {
    if (writerPreallocated) {
      writer.setLength(writer.getFilePointer());
    }
    writer.getFD().sync();
    writer.close();
    forcer.close();
  }

  private void startSegment(long firstSeq) throws IOException {
    Path file = dir.resolve(String.format("wal-%020d.log", firstSeq));
    boolean preallocated = preparedReady;
    if (preallocated) {
      preparedReady = false;
      Files.move(preparedFile, file); // refuses an existing file
    } else {
      Files.createFile(file); // refuses an existing file, as CREATE_NEW
    }
    RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw");
    FileChannel force = null;
    try {
      if (preallocated) {
        raf.seek(MAGIC.length);
      } else {
        raf.write(MAGIC);
        raf.getFD().sync();
      }
      force = FileChannel.open(file, StandardOpenOption.WRITE);
      DrainCheckpoint.forceDirectory(dir);
    } catch (IOException | RuntimeException e) {
      raf.close();
      if (force != null) {
        force.close();
      }
      throw e;
    }
    segments.put(firstSeq, file);
    writer = raf;
    forcer = force;
    writerPreallocated = preallocated;
    writerFirstSeq = firstSeq;
    if (preallocated) {
      prepareNext();
    }
  }

  /** Starts preparing the segment after the newest in the background. */
  private void prepareNext() {
    try {
      preparer.execute(this::prepare);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closing: the preparer was shut down
    }
  }

  /**
   * Writes {@link #preparedFile}: the header, then zeros to the segment size, forced a megabyte at
   * a time so the disk is never handed one large burst that every append's force would queue
   * behind. A failure leaves the next segment unprepared (it is then created as it is needed).
   */
  private void prepare() {
    byte[] zeros = new byte[PREPARE_CHUNK];
    try (RandomAccessFile raf = new RandomAccessFile(preparedFile.toFile(), "rw")) {
      raf.setLength(0);
      raf.write(MAGIC);
      long written = MAGIC.length;
      while (written < preparedBytes) {
        if (closing) {
          return;
        }
        int n = (int) Math.min(zeros.length, preparedBytes - written);
        raf.write(zeros, 0, n);
        raf.getFD().sync();
        written += n;
      }
      preparedReady = true;
    } catch (IOException e) {
      LOG.warn("cannot prepare the next write-ahead segment: {}", e.getMessage());
    }
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
    closing = true;
    preparer.shutdown();
    boolean interrupted = false;
    while (true) {
      try {
        preparer.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES); // a step at most
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    closeWriter();
  }

  private static long firstSeq(Path p) {
    String n = p.getFileName().toString();
    return Long.parseLong(n.substring(4, 24));
  }
}
